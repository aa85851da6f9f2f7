/**
 * The KL coefficient beta of the RL reward, fixed (the InstructGPT paper: beta = 0.02) or
 * adaptive (Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences"):
 *
 *   e_t       = clip( KL_t / KL_target - 1, -0.2, 0.2 )     (proportional error)
 *   beta_t+1  = beta_t * (1 + K_beta * e_t),   K_beta = nSteps / horizon
 *
 * so beta rises when the policy drifts further from the reference than the target and falls
 * when it stays closer. `nSteps` is the number of episodes (answers) behind the KL estimate.
 */

export interface KlControllerConfig {
  /** 'fixed' keeps beta constant; 'adaptive' steers the measured KL towards `target`. */
  kind: 'fixed' | 'adaptive';
  /** Initial (or fixed) KL coefficient beta. */
  initKlCoef: number;
  /** Adaptive only: target KL(pi_RL || pi_SFT) per answer, in nats (Ziegler et al.: 6). */
  target: number;
  /** Adaptive only: horizon in episodes; larger reacts more slowly (Ziegler et al.: 10000). */
  horizon: number;
}

export const DEFAULTS: KlControllerConfig = { kind: 'fixed', initKlCoef: 0.02, target: 6, horizon: 10000 };

export class KlController {
  /** The current beta. */
  value: number;
  readonly config: KlControllerConfig;

  constructor(config: KlControllerConfig = DEFAULTS) {
    const { kind, initKlCoef, target, horizon } = config;
    if (kind !== 'fixed' && kind !== 'adaptive') throw new Error(`KlController: kind must be fixed or adaptive, got ${kind}`);
    if (!(Number.isFinite(initKlCoef) && initKlCoef >= 0)) throw new Error(`KlController: initKlCoef must be a finite number >= 0, got ${initKlCoef}`);
    if (!(Number.isFinite(target) && target > 0)) throw new Error(`KlController: target must be a finite number > 0, got ${target}`);
    if (!(Number.isFinite(horizon) && horizon > 0)) throw new Error(`KlController: horizon must be a finite number > 0, got ${horizon}`);
    this.config = { ...config };
    this.value = initKlCoef;
  }

  /** Feed the mean KL per answer measured over `nSteps` episodes; returns the new beta. */
  update(currentKl: number, nSteps: number): number {
    if (!Number.isFinite(currentKl)) throw new Error(`KlController.update: currentKl must be finite, got ${currentKl}`);
    if (!(Number.isInteger(nSteps) && nSteps > 0)) throw new Error(`KlController.update: nSteps must be an integer > 0, got ${nSteps}`);
    if (this.config.kind === 'fixed') return this.value;
    const error = Math.min(0.2, Math.max(-0.2, currentKl / this.config.target - 1)); // e_t
    this.value *= 1 + (error * nSteps) / this.config.horizon;
    return this.value;
  }
}
