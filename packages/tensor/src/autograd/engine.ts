import { AutogradError, ShapeError } from '../errors.js';
import { tidy, untrack } from '../memory/scope.js';
import { ones } from '../ops/creation.js';
import { binary } from '../prims/elementwise.js';
import { copy } from '../prims/movement.js';
import { installRules } from '../prims/primitive.js';
import { storageFor, type Tensor } from '../tensor.js';
import { GRADIENTS } from './gradients.js';
import { noGrad } from './tape.js';

// The primitives record their rules by name; the table is the engine's to provide.
installRules(GRADIENTS);

/**
 * Reverse-mode sweep from `root`: visits the recorded ops in reverse topological order,
 * calls each op's backward function (inside `noGrad` and a `tidy`, so temporaries are freed
 * at once), sums the gradients that reach a tensor along several paths, and accumulates the
 * result into `.grad` of every leaf that requires grad. Gradients of intermediate tensors are
 * disposed as soon as they have been propagated, and the tape is released at the end.
 */
export function runBackward(root: Tensor, upstream?: Tensor): void {
  root.assertLive();
  if (!root.requiresGrad) {
    throw new AutogradError(
      `backward() on ${root.describe()}, which does not require grad: no input of the ops that made it has requiresGrad = true (or it was computed inside noGrad).`,
    );
  }
  if (upstream) {
    upstream.assertLive();
    if (upstream.shape.join() !== root.shape.join()) {
      throw new ShapeError(
        `backward(): the upstream gradient ${upstream.describe()} must have the shape of ${root.describe()}.`,
      );
    }
  } else if (root.size !== 1) {
    throw new AutogradError(
      `backward() without an upstream gradient needs a scalar, got ${root.describe()}; reduce it first (e.g. .sum() or .mean()) or pass the gradient.`,
    );
  }

  const order = topologicalOrder(root);
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    // A computed gradient that pending expressions still read (the gradients of the op's
    // inputs, not yet computed) is held to the end of the pass: freeing it now would compute
    // each of them as its own kernel, where they can still fuse with the rules further down.
    const held: Tensor[] = [];
    const release = (g: Tensor) => {
      if ((storageFor(g).readers?.size ?? 0) > 0) held.push(g);
      else g.dispose();
    };
    grads.set(root, upstream ? copy(upstream) : ones(root.shape, { device: root.device }));
    for (const t of order) {
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.gradFn;
      if (!node) {
        accumulateLeaf(t, g);
        continue;
      }
      const inputGrads = tidy(() => [...node.backward(g)]);
      const used = new Set<Tensor>();
      // A rule may pass `g` itself on (add, reshape-free paths): its last use takes it over
      // instead of a copy.
      let lastUseOfG = -1;
      node.inputs.forEach((input, i) => {
        if (inputGrads[i] === g && input.requiresGrad) lastUseOfG = i;
      });
      node.inputs.forEach((input, i) => {
        let gi = inputGrads[i] ?? null;
        if (!gi) return;
        if (!input.requiresGrad) {
          if (gi !== g) gi.dispose();
          return;
        }
        if (gi.shape.join() !== input.shape.join()) {
          throw new AutogradError(
            `internal: the gradient of ${node.name} for ${input.describe()} has shape [${gi.shape.join(',')}].`,
          );
        }
        if (gi === g ? i !== lastUseOfG : used.has(gi)) gi = copy(gi);
        used.add(gi);
        const previous = grads.get(input);
        if (previous) {
          grads.set(input, binary('add', previous, gi));
          previous.dispose();
          gi.dispose();
        } else {
          grads.set(input, gi);
        }
      });
      if (lastUseOfG < 0) release(g);
    }
    for (const g of grads.values()) g.dispose();
    // Newest first: an expression that reads several of them is computed once, at the first.
    for (const g of held.reverse()) g.dispose();
  });
  for (const t of order) if (t.gradFn) t.releaseGraph();
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.isDisposed) {
    g.dispose();
    return;
  }
  const previous = leaf.grad;
  if (previous) {
    const sum = binary('add', previous, g);
    g.dispose();
    leaf.grad = sum; // disposes the previous gradient
  } else {
    untrack(g);
    leaf.grad = g;
  }
}

/** Tensors reachable from `root` through requires-grad inputs, root first. */
function topologicalOrder(root: Tensor): Tensor[] {
  const released = (t: Tensor) =>
    new AutogradError(
      `backward() through ${t.describe()}, whose part of the graph was already freed by an earlier backward(); run the forward pass again.`,
    );
  if (root.isGraphReleased) throw released(root);
  const visited = new Set<Tensor>();
  const postorder: Tensor[] = [];
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i]!;
      if (next.requiresGrad && !visited.has(next)) {
        if (next.isGraphReleased) throw released(next);
        if (next.isDisposed) {
          throw new AutogradError(
            `backward(): ${next.describe()}, an input of "${t.gradFn?.name}", was disposed before backward() ran. Call backward() inside the tidy() that built the graph, and do not dispose tensors the graph still needs.`,
          );
        }
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      postorder.push(t);
    }
  }
  return postorder.reverse();
}

/** Sets `.grad = null` (disposing the gradients) on every given tensor. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.grad = null;
}
