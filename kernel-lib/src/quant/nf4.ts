/**
 * NF4, the 4-bit NormalFloat data type of QLoRA (Dettmers, Pagnoni, Holtzman, Zettlemoyer,
 * "QLoRA: Efficient Finetuning of Quantized LLMs", 2023, arXiv:2305.14314, section 3).
 *
 * Its 16 values are quantiles of a standard normal distribution, scaled to [-1, 1], with an exact
 * zero: 8 for the positive half and 7 for the negative half (plus 0). Weights of a trained network
 * are roughly normal, so each code is used about equally often. A block of 64 weights is divided by
 * its absmax (so it lies in [-1, 1]) and each number takes the code of the nearest value. These are
 * the published values, as bitsandbytes has them (its NF4 table), written out rather than computed.
 */
export const NF4: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
  -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0
];

/** The midpoints between neighbouring NF4 values: x takes code i when it lies between MID[i-1] and MID[i]. */
const MID = NF4.slice(1).map((v, i) => (v + NF4[i]) / 2);

/** The code (0..15) of the NF4 value nearest to x, for x in [-1, 1] (a tie goes to the upper value). */
export function nearestNF4(x: number): number {
  let code = 0;
  while (code < 15 && x >= MID[code]) code++;
  return code;
}
