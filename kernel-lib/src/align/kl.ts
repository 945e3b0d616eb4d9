/**
 * How far the policy has moved from the reference model, per token. RLHF keeps the policy near the
 * model it started from (the SFT model): without that, it drifts to whatever text the reward model
 * over-rates. The exact KL(π || π_ref) sums over the whole vocabulary at every position; the
 * estimators here need only the log-probs of the tokens the policy sampled, logp = log π(x) and
 * refLogp = log π_ref(x), with x ~ π. With r = π_ref(x) / π(x) (John Schulman, "Approximating KL
 * divergence", 2020):
 *
 *   k1 = -log r = logp - refLogp          unbiased, but often negative for one sample (high variance)
 *   k2 = (log r)^2 / 2                     always >= 0, biased (close for nearby policies), low variance
 *   k3 = (r - 1) - log r                   unbiased and always >= 0 (log r <= r - 1): GRPO's choice
 *
 * "Unbiased": the mean over x ~ π is KL(π || π_ref) exactly. PPO in TRL penalises the reward with
 * k1 (kl_estimator="k1") or k3; its approx_kl statistic between new and old policy is k2; GRPO's
 * loss adds beta * k3.
 */
import * as tf from '@tensorflow/tfjs';

export type KLEstimator = 'k1' | 'k2' | 'k3';
export const KL_ESTIMATORS: readonly KLEstimator[] = ['k1', 'k2', 'k3'];

export function checkKLEstimator(where: string, estimator: unknown): void {
  if (!KL_ESTIMATORS.includes(estimator as KLEstimator)) throw new Error(`${where}: klEstimator must be ${KL_ESTIMATORS.map(k => `'${k}'`).join(', ')}, got ${JSON.stringify(estimator)}`);
}

/** The estimate of KL(π || π_ref) at each token, from logp and refLogp of the same shape. Differentiable. */
export function klPerToken(logp: tf.Tensor, refLogp: tf.Tensor, estimator: KLEstimator = 'k1'): tf.Tensor {
  checkKLEstimator('klPerToken', estimator);
  if (logp.shape.join() !== refLogp.shape.join()) throw new Error(`klPerToken: logp [${logp.shape}] and refLogp [${refLogp.shape}] must have the same shape`);
  return tf.tidy(() => {
    const logRatio = refLogp.sub(logp); // log r = log π_ref(x) - log π(x)
    if (estimator === 'k1') return logRatio.neg();
    if (estimator === 'k2') return logRatio.square().mul(0.5);
    return logRatio.exp().sub(1).sub(logRatio); // (r - 1) - log r
  });
}
