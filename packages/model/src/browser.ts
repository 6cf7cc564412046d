/**
 * `@trm/model` in a browser (the `browser` export condition): the model, its config and loss,
 * and checkpoints from bytes (`readModelCheckpointBytes` on a fetched safetensors file). File
 * access and the `torch.save` format are left out; nothing here imports Node modules.
 *
 * @packageDocumentation
 */

export * from './portable.js';
