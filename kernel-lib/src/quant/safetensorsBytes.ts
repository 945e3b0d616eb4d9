/**
 * safetensors (checkpoint/safetensors.ts has the layout) with the two dtypes a quantized checkpoint
 * needs: F32 and U8 (packed codes). checkpoint/safetensors.ts reads and writes F32 only, for every
 * float checkpoint; this file adds U8 rather than widen that one's types for every caller.
 */

export type StoredTensor = { dtype: 'F32'; shape: number[]; data: Float32Array } | { dtype: 'U8'; shape: number[]; data: Uint8Array };

const BYTES = { F32: 4, U8: 1 } as const;
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeTensors(tensors: [string, StoredTensor][], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== count(t.shape)) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, { data }] of tensors) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at); // little-endian (checked in checkpoint/safetensors.ts)
    at += data.byteLength;
  }
  return out;
}

/** The tensors of a file, each checked: a known dtype, a shape that fits its bytes, inside the data, back to back. */
export function decodeTensors(bytes: Uint8Array, file: string): Map<string, StoredTensor> {
  if (bytes.length < 8) throw new Error(`${file}: ${bytes.length} bytes is too short for a safetensors file`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${file}: the header claims ${n} bytes, but the file has only ${bytes.length - 8} after the length`);
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: number[] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${file}: the header is not valid JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + n);
  const out = new Map<string, StoredTensor>();
  let covered = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] = [NaN, NaN] } = entry ?? {};
    if (dtype !== 'F32' && dtype !== 'U8') throw new Error(`${file}: tensor ${name} is ${dtype}; a quantized checkpoint holds F32 and U8`);
    if (!Array.isArray(shape) || !shape.every(k => Number.isInteger(k) && k >= 0)) throw new Error(`${file}: tensor ${name} has the shape ${JSON.stringify(shape)}`);
    if (!(Number.isInteger(begin) && Number.isInteger(end) && 0 <= begin && begin <= end && end <= data.length)) throw new Error(`${file}: tensor ${name} has data_offsets ${JSON.stringify(entry.data_offsets)} outside the ${data.length} data bytes`);
    if (end - begin !== BYTES[dtype] * count(shape)) throw new Error(`${file}: tensor ${name} has ${end - begin} bytes for ${dtype} [${shape}]`);
    covered += end - begin;
    // copied: the data may not be 4-byte aligned inside the file
    const copy = new Uint8Array(data.subarray(begin, end));
    out.set(name, dtype === 'F32' ? { dtype, shape, data: new Float32Array(copy.buffer) } : { dtype, shape, data: copy });
  }
  if (covered !== data.length) throw new Error(`${file}: the tensors cover ${covered} of the ${data.length} data bytes`);
  return out;
}
