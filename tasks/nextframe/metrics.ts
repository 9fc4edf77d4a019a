/**
 * Frame-prediction metrics on values in [0, 1], accumulated over batches of
 * predicted and true output frames ([n, T, H, W, C] floats):
 *
 *   mse       mean squared error per pixel (all frames, pixels and channels)
 *   frameMse  per-frame MSE as the video-prediction papers give it (PredRNN,
 *             E3D-LSTM...): the squared error summed over a frame's pixels,
 *             averaged over frames = mse · H·W·C
 *   bce       per-sequence binary cross-entropy, Shi et al. 2015's Moving MNIST
 *             figure: −Σ [y log p + (1 − y) log(1 − p)] over the output frames'
 *             pixels of a sequence, averaged over sequences (p clipped to
 *             [1e-7, 1 − 1e-7], Keras's epsilon, so hard 0/1 baselines stay finite)
 *   ssim      structural similarity (Wang et al. 2004) with TensorFlow's
 *             tf.image.ssim settings: 11×11 Gaussian window, σ 1.5, K1 0.01,
 *             K2 0.03, data range 1, valid positions only; mean over frames
 *             and channels (the window shrinks to the frame's short side when
 *             the frame is smaller)
 *   mseByStep mse of each output step (t+1 ... t+T)
 */

/** Shi et al. 2015, Table 1: per-sequence cross-entropy on Moving MNIST (10 → 10 frames, 64×64). */
export const SHI_BCE = { fcLstm: 4832, convLstm: 3670 } as const;

/** The metrics of one model or baseline. */
export interface FrameMetrics {
  mse: number;
  frameMse: number;
  bce: number;
  ssim: number;
  mseByStep: number[];
}

const EPS = 1e-7;
const K1 = 0.01;
const K2 = 0.03;

/** A normalized 1-D Gaussian window (size odd, σ 1.5 as tf.image.ssim). */
function gaussian(size: number, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
  return g.map((v) => v / sum);
}

/** Valid separable filtering of a plane [H, W] by window g (both directions). */
function filter2(plane: Float64Array, H: number, W: number, g: Float64Array): Float64Array {
  const k = g.length;
  const OW = W - k + 1;
  const OH = H - k + 1;
  const rows = new Float64Array(H * OW);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < OW; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += g[i] * plane[y * W + x + i];
      rows[y * OW + x] = s;
    }
  }
  const out = new Float64Array(OH * OW);
  for (let y = 0; y < OH; y++) {
    for (let x = 0; x < OW; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += g[i] * rows[(y + i) * OW + x];
      out[y * OW + x] = s;
    }
  }
  return out;
}

/** The SSIM window size for an H×W frame: 11, or the largest odd size that fits. */
export function ssimWindow(H: number, W: number): number {
  const m = Math.min(11, H, W);
  return m % 2 === 1 ? m : m - 1;
}

/** SSIM of two frames [H·W·C] in [0, 1] (mean over the SSIM map and the channels). */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, H: number, W: number, C: number, offsetA = 0, offsetB = 0): number {
  const g = gaussian(ssimWindow(H, W));
  const c1 = K1 * K1;
  const c2 = K2 * K2;
  let total = 0;
  for (let ch = 0; ch < C; ch++) {
    const x = new Float64Array(H * W);
    const y = new Float64Array(H * W);
    for (let i = 0; i < H * W; i++) {
      x[i] = a[offsetA + i * C + ch];
      y[i] = b[offsetB + i * C + ch];
    }
    const mx = filter2(x, H, W, g);
    const my = filter2(y, H, W, g);
    const xx = filter2(x.map((v) => v * v), H, W, g);
    const yy = filter2(y.map((v) => v * v), H, W, g);
    const xy = filter2(x.map((v, i) => v * y[i]), H, W, g);
    let s = 0;
    for (let i = 0; i < mx.length; i++) {
      const vx = xx[i] - mx[i] * mx[i];
      const vy = yy[i] - my[i] * my[i];
      const cxy = xy[i] - mx[i] * my[i];
      s += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
    }
    total += s / mx.length;
  }
  return total / C;
}

/** Running sums of the metrics over batches of sequences. */
export class MetricsAccumulator {
  private sq: number[];
  private bceSum = 0;
  private ssimSum = 0;
  private sequences = 0;
  private readonly pixels: number;

  /** @param ssimEvery SSIM on every k-th sequence only (it is the slow one); default 1 = all. */
  constructor(
    readonly steps: number,
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    private readonly ssimEvery = 1,
  ) {
    this.sq = new Array(steps).fill(0);
    this.pixels = height * width * channels;
  }

  /** Adds n sequences: truth and prediction [n, steps, H, W, C]. */
  add(truth: ArrayLike<number>, pred: ArrayLike<number>, n: number): void {
    const P = this.pixels;
    for (let s = 0; s < n; s++) {
      const keepSsim = (this.sequences + s) % this.ssimEvery === 0;
      for (let t = 0; t < this.steps; t++) {
        const base = (s * this.steps + t) * P;
        let sq = 0;
        let bce = 0;
        for (let i = base; i < base + P; i++) {
          const y = truth[i];
          const p = Math.min(1 - EPS, Math.max(EPS, pred[i]));
          sq += (p - y) * (p - y);
          bce -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
        }
        this.sq[t] += sq;
        this.bceSum += bce;
        if (keepSsim) this.ssimSum += ssim(truth, pred, this.height, this.width, this.channels, base, base);
      }
    }
    this.sequences += n;
  }

  result(): FrameMetrics {
    const n = Math.max(1, this.sequences);
    const mseByStep = this.sq.map((s) => s / (n * this.pixels));
    const mse = mseByStep.reduce((a, b) => a + b, 0) / this.steps;
    const ssimCount = Math.max(1, Math.ceil(this.sequences / this.ssimEvery) * this.steps);
    return { mse, frameMse: mse * this.pixels, bce: this.bceSum / n, ssim: this.ssimSum / ssimCount, mseByStep };
  }
}
