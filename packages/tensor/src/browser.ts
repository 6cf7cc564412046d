/**
 * `@trm/tensor` in a browser (the `browser` export condition): the same API as in Node, with
 * devices opened on `navigator.gpu`. Nothing here imports Node modules or dawn.node.
 *
 * @packageDocumentation
 */

export * from './portable.js';
