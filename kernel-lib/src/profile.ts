/**
 * Run profiles. Notebooks read LLM_LAB_PROFILE:
 *   class  the real lengths the course needs (default)
 *   smoke  a few steps, so the notebook tests run every cell quickly
 * Learning itself is proven by the learning tests, not by the smoke profile.
 */
export type Profile = 'class' | 'smoke';

export function profile(): Profile {
  const p = process.env.LLM_LAB_PROFILE ?? 'class';
  if (p !== 'class' && p !== 'smoke') throw new Error(`LLM_LAB_PROFILE must be "class" or "smoke", got ${JSON.stringify(p)}`);
  return p;
}

/** Pick the value for the current profile: byProfile({ class: 2000, smoke: 20 }). */
export function byProfile<T>(values: Record<Profile, T>): T {
  return values[profile()];
}
