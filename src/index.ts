/**
 * rnnkit public API (Node entry). The layers are browser-safe and also available
 * from 'rnnkit/dist/layers'.
 */
export * from '../layers';
export { selectBackend, currentBackend, BackendError, BACKENDS } from './backend';
export type { BackendName } from './backend';
export { fileSystem, saveModel, loadModel, writeFileAtomic, readModelArtifacts, writeModelArtifacts, registerFileSystemRouter } from './io/fs_handler';
export * from './train';
