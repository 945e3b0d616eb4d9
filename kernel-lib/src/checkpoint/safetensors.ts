/**
 * The safetensors file format (Hugging Face's), for float32 tensors (and bytes: U8, for the packed
 * codes of a quantized checkpoint, quant/save.ts):
 *
 *   8 bytes   N, the header's length, a little-endian unsigned integer
 *   N bytes   a JSON header: { name: { dtype: "F32", shape: [...], data_offsets: [begin, end] }, ...,
 *             "__metadata__": { string: string } }, padded with spaces to a multiple of 8
 *   the rest  the tensors' bytes, little-endian, back to back; offsets count from here
 *
 * Nothing but data: loading a checkpoint cannot run code (unlike Python's pickle).
 */

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: StoredTensor['dtype'];
  shape: number[];
  data_offsets: [number, number];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A tensor as stored: float32 numbers, or bytes (a quantized layer's packed codes). */
export type StoredTensor = { dtype: 'F32'; shape: number[]; data: Float32Array } | { dtype: 'U8'; shape: number[]; data: Uint8Array };
type Dtype = StoredTensor['dtype'];
const BYTES: Record<Dtype, number> = { F32: 4, U8: 1 };

/** Serialize float32 tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  return encodeStoredTensors([...tensors].map(([name, t]) => [name, { dtype: 'F32', ...t }]), metadata);
}

/** Serialize tensors of either dtype (in the given order) and string metadata. */
export function encodeStoredTensors(tensors: [string, StoredTensor][], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, { dtype, shape, data }] of tensors) {
    if (data.length !== size(shape)) throw new Error(`safetensors: ${name} has ${data.length} values for shape [${shape}]`);
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, { data }] of tensors) {
    // float32 in little-endian byte order (what every machine that runs this uses; checked below)
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/** Parse a safetensors file of float32 tensors; every problem is an error that says what is wrong and where. */
export function decodeSafetensors(bytes: Uint8Array, file = 'checkpoint'): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeStoredTensors(bytes, file, ['F32']);
  return { tensors: new Map([...tensors].map(([name, { shape, data }]) => [name, { shape, data: data as Float32Array }])), metadata };
}

/** Parse a safetensors file whose tensors have one of `dtypes`; checked as decodeSafetensors does. */
export function decodeStoredTensors(bytes: Uint8Array, file: string, dtypes: Dtype[] = ['F32', 'U8']): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${file}: ${bytes.length} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${file}: the header claims ${n} bytes, but the file has only ${bytes.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${file}: the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Error(`${file}: the header must be a JSON object of tensors, got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}`);
  }
  const metadata = header.__metadata__ ?? {};
  if (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some(v => typeof v !== 'string')) {
    throw new Error(`${file}: __metadata__ must be an object of strings, got ${JSON.stringify(metadata)}`);
  }
  const data = bytes.subarray(8 + n);
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__').map(([name, value]) => checkEntry(file, name, value, data.length, dtypes));
  // as in safetensors: the tensors' bytes lie back to back and cover the data, no gaps, no overlaps
  let expectedBegin = 0;
  for (const [name, { data_offsets: [begin, end] }] of [...entries].sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0])) {
    if (begin !== expectedBegin) throw new Error(`${file}: tensor ${name} starts at byte ${begin} of the data, but the tensor before it ends at ${expectedBegin}`);
    expectedBegin = end;
  }
  if (expectedBegin !== data.length) throw new Error(`${file}: the tensors cover ${expectedBegin} of the ${data.length} data bytes`);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, { dtype, shape, data_offsets: [begin, end] }] of entries) {
    // copied: the data may not be 4-byte aligned inside the file
    const copy = new Uint8Array(data.subarray(begin, end));
    tensors.set(name, dtype === 'F32' ? { dtype, shape, data: new Float32Array(copy.buffer) } : { dtype: 'U8', shape, data: copy });
  }
  return { tensors, metadata: metadata as Record<string, string> };
}

/** One header entry, checked: a tensor of an allowed dtype whose shape fits its bytes, inside the data. */
function checkEntry(file: string, name: string, value: unknown, dataBytes: number, dtypes: Dtype[]): [string, HeaderEntry] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: tensor ${name} has the entry ${JSON.stringify(value)}, not an object`);
  const entry = value as Partial<HeaderEntry>;
  const dtype = entry.dtype as Dtype;
  if (!dtypes.includes(dtype)) throw new Error(`${file}: tensor ${name} is ${entry.dtype}; ${dtypes.length === 1 ? `only ${dtypes[0]} is supported` : `this file holds ${dtypes.join(' and ')}`}`);
  const { shape, data_offsets: offsets } = entry;
  if (!Array.isArray(shape) || !shape.every(k => Number.isInteger(k) && k >= 0)) {
    throw new Error(`${file}: tensor ${name} has the shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers`);
  }
  const [begin, end] = Array.isArray(offsets) && offsets.length === 2 ? offsets : [NaN, NaN];
  if (!(Number.isInteger(begin) && Number.isInteger(end) && 0 <= begin && begin <= end && end <= dataBytes)) {
    throw new Error(`${file}: tensor ${name} has data_offsets ${JSON.stringify(offsets)} outside the ${dataBytes} data bytes`);
  }
  const expected = BYTES[dtype] * size(shape);
  if (end - begin !== expected) throw new Error(`${file}: tensor ${name} has ${end - begin} bytes for shape [${shape}] (${dtype === 'F32' ? 'float32' : 'bytes'}: ${expected} bytes)`);
  return [name, { dtype, shape, data_offsets: [begin, end] }];
}
if (new Uint8Array(Float32Array.of(1).buffer)[3] !== 0x3f) {
  throw new Error('safetensors: this machine is big-endian; the checkpoint code assumes little-endian');
}
