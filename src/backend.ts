/**
 * Backend selection for Node: 'tensorflow' (native libtensorflow through the
 * optional @tensorflow/tfjs-node), 'wasm' (@tensorflow/tfjs-backend-wasm, ships its
 * .wasm in the npm package), 'cpu' (pure JS). 'auto' takes the first that loads in
 * that order. A backend asked for by name that cannot load is an error that says
 * why and how to get it — never a silent fallback.
 *
 * The RNN_BACKEND environment variable chooses when no name is given.
 */
import * as tf from '@tensorflow/tfjs';

/** Backends this package can select. */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Raised when a requested backend cannot be used. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

const HOW_TO: Record<Exclude<BackendName, 'auto'>, string> = {
  tensorflow:
    "install @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node); its install script downloads libtensorflow, so it needs access to that download",
  wasm: 'reinstall the package dependencies (npm ci): @tensorflow/tfjs-backend-wasm ships its .wasm files inside the npm package',
  cpu: 'the cpu backend is part of @tensorflow/tfjs; check that @tensorflow/tfjs is installed',
};

async function tryLoad(name: Exclude<BackendName, 'auto'>): Promise<string | null> {
  try {
    if (name === 'tensorflow') {
      // Optional dependency: resolved at run time only, so bundlers and browsers never see it.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const req = eval('require') as NodeRequire;
      req('@tensorflow/tfjs-node');
    } else if (name === 'wasm') {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      require('@tensorflow/tfjs-backend-wasm');
    }
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    // The cpu backend greets Node users once with advice to install tfjs-node; the
    // CLI already reports the backend in use (and how to get tensorflow), so skip it.
    if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/**
 * Selects and initializes a backend; returns the name of the one now active.
 * @param name 'auto' (default: RNN_BACKEND or auto), 'tensorflow', 'wasm' or 'cpu'.
 */
export async function selectBackend(name?: string): Promise<Exclude<BackendName, 'auto'>> {
  const wanted = (name ?? process.env.RNN_BACKEND ?? 'auto').toLowerCase();
  if (!BACKENDS.includes(wanted as BackendName)) {
    throw new BackendError(`unknown backend '${wanted}': expected one of ${BACKENDS.join(', ')}`);
  }
  if (wanted !== 'auto') {
    const failure = await tryLoad(wanted as Exclude<BackendName, 'auto'>);
    if (failure) {
      throw new BackendError(`backend '${wanted}' could not be loaded (${failure}); to use it, ${HOW_TO[wanted as Exclude<BackendName, 'auto'>]}`);
    }
    return wanted as Exclude<BackendName, 'auto'>;
  }
  for (const candidate of ['tensorflow', 'wasm', 'cpu'] as const) {
    if ((await tryLoad(candidate)) === null) return candidate;
  }
  throw new BackendError('no TensorFlow.js backend could be loaded (tried tensorflow, wasm, cpu)');
}

/** The active backend's name. */
export function currentBackend(): string {
  return tf.getBackend();
}
