/**
 * Reader for `torch.save` files (the zip format of PyTorch ≥ 1.6): `<name>/data.pkl` (a pickle
 * of the state dict), `<name>/data/<key>` (raw little-endian storages), `<name>/version` and,
 * in newer files, `<name>/byteorder`.
 */
import {
  applyReadOptions,
  DTYPE_SIZE,
  numelOf,
  readElementSize,
  typedArrayFor,
  viewAs,
} from './dtype.js';
import { CheckpointFormatError, CheckpointSecurityError } from './errors.js';
import { readInput } from './file-source.js';
import { describe, PyCallable, PyClassRef, unpickle } from './pickle.js';
import type { ByteSource } from './source.js';
import {
  type CheckpointDType,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_TENSOR_BYTES,
  type HostTensorData,
  type ReadOptions,
  type TensorMap,
} from './types.js';
import { readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

/** Storage classes `torch.save` references, and the dtype of their elements. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, CheckpointDType>> = {
  'torch.FloatStorage': 'F32',
  'torch.DoubleStorage': 'F64',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
};

/** Python globals a checkpoint pickle may reference; anything else is refused. */
export const TORCH_ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch._tensor.Tensor',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  ...Object.keys(TORCH_STORAGE_DTYPES),
];

class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: CheckpointDType,
    readonly location: string,
    readonly numel: number,
  ) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** Reads a `torch.save` zip archive holding a state dict (a dict of tensors). */
export async function readTorchCheckpoint(
  input: string | Uint8Array,
  options: ReadOptions = {},
): Promise<TensorMap> {
  return readInput(input, options, (src) => readTorchSource(src, options));
}

/** Reads a `torch.save` zip archive from an open {@link ByteSource}. */
export async function readTorchSource(
  src: ByteSource,
  options: ReadOptions = {},
): Promise<TensorMap> {
  const file = src.name;
  const fail = (msg: string, tensor?: string): never => {
    throw new CheckpointFormatError(file, msg, tensor);
  };
  if (src.size > (options.maxBytes ?? DEFAULT_MAX_BYTES))
    fail(`${src.size} bytes is over the maxBytes limit`);
  if (src.size >= 2) {
    const head = await src.read(0, 2);
    if (head[0] === 0x80 && head[1]! <= 5) {
      fail(
        'this is the legacy (pre-1.6, non-zip) torch.save format, which is not supported: re-save it with a recent PyTorch (torch.save(torch.load(f), f)) or convert it to safetensors',
      );
    }
    if (head[0] !== 0x50 || head[1] !== 0x4b)
      fail('not a zip archive, so not a torch.save file (bad magic bytes)');
  }
  const entries = await readZipDirectory(src);
  const pkl = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pkl.length === 0) {
    if ([...entries.keys()].some((n) => n.endsWith('constants.pkl') || n.includes('/code/'))) {
      fail('this is a TorchScript archive (torch.jit.save), not a torch.save state dict');
    }
    fail('zip archive has no data.pkl: not a torch.save file');
  }
  pkl.sort((a, b) => a.length - b.length);
  const pklName = pkl[0]!;
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  if (entries.has(`${prefix}constants.pkl`)) {
    fail('this is a TorchScript archive (torch.jit.save), not a torch.save state dict');
  }
  const entry = (name: string): ZipEntry =>
    entries.get(name) ?? fail(`archive has no entry "${name}"`);
  const verify = options.verifyCrc ?? true;
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder()
      .decode(await readZipEntry(src, byteorder, { verifyCrc: verify, maxSize: 64 }))
      .trim()
      .slice(0, 64);
    if (order !== 'little') fail(`byteorder "${order}" is not supported (only little-endian)`);
  }
  const pklEntry = entry(pklName);
  const maxPickle = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (pklEntry.uncompressedSize > maxPickle) {
    fail(
      `${pklName} is ${pklEntry.uncompressedSize} bytes, over the limit of ${maxPickle} (raise maxHeaderBytes)`,
    );
  }
  const pickle = await readZipEntry(src, pklEntry, { verifyCrc: verify, maxSize: maxPickle });

  // 1. Unpickle: pure data, globals from the allow-list only.
  const storages = new Map<string, StorageRef>();
  const root = unpickle(pickle, {
    file,
    findClass: (module, name) => findTorchGlobal(file, module, name),
    persistentLoad: (pid) => persistentLoad(file, pid, storages),
  });
  if (!(root instanceof Map)) {
    return fail(`data.pkl holds a ${describe(root)}, not a state dict (dict of tensors)`);
  }
  for (const [k, v] of root) {
    if (typeof k !== 'string') fail(`state dict key ${describe(k)} is not a string`);
    if (!(v instanceof TensorRef)) {
      fail(
        `holds a ${describe(v)}, not a tensor: only plain state dicts (name → tensor) are supported`,
        k,
      );
    }
  }

  // 2. Check every view against its storage and the whole against the memory budget before
  //    a single byte is decompressed: a small file may not expand into a huge allocation.
  const refs = root as Map<string, TensorRef>;
  const budget = options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  let needed = 0;
  const uses = new Map<string, number>();
  for (const [name, ref] of refs) {
    const st = ref.storage;
    const numel = checkedNumel(ref.shape);
    if (numel === undefined) fail(`shape [${ref.shape.join(', ')}] has too many elements`, name);
    const problem = viewProblem(ref, numel!);
    if (problem) fail(problem, name);
    if (!uses.has(st.key)) {
      const e = entry(`${prefix}data/${st.key}`);
      const bytes = st.numel * DTYPE_SIZE[st.dtype];
      if (e.uncompressedSize !== bytes) {
        fail(
          `storage "${st.key}" has ${e.uncompressedSize} bytes but ${st.numel} ${st.dtype} elements need ${bytes}`,
          name,
        );
      }
      needed += bytes;
    }
    uses.set(st.key, (uses.get(st.key) ?? 0) + 1);
    // The materialised tensor is charged in full even when it ends up sharing the storage's
    // memory: the bound stays simple and errs on the safe side.
    needed += numel! * readElementSize(st.dtype, options);
    if (!Number.isSafeInteger(needed) || needed > budget) {
      fail(
        `the tensors need more than ${budget} bytes of memory once read (the maxTensorBytes limit): too large for the model being loaded, or a decompression bomb`,
        name,
      );
    }
  }

  // 3. Read each storage once, when its first tensor needs it, and let it go after its last.
  const loaded = new Map<string, HostTensorData>();
  const tensors: TensorMap = new Map();
  for (const [name, ref] of refs) {
    const st = ref.storage;
    let storage = loaded.get(st.key);
    if (!storage) {
      const bytes = await readZipEntry(src, entry(`${prefix}data/${st.key}`), {
        verifyCrc: verify,
        maxSize: st.numel * DTYPE_SIZE[st.dtype],
      });
      storage = viewAs(st.dtype, bytes);
      loaded.set(st.key, storage);
    }
    const left = uses.get(st.key)! - 1;
    uses.set(st.key, left);
    if (left === 0) loaded.delete(st.key);
    const converts = readElementSize(st.dtype, options) !== DTYPE_SIZE[st.dtype];
    // Sharing the storage is safe when nothing else will see it: this is its last tensor, or
    // the conversion below copies anyway.
    const data = materialize(ref, storage, left === 0 || converts);
    try {
      tensors.set(
        name,
        applyReadOptions({ dtype: st.dtype, shape: [...ref.shape], data }, options),
      );
    } catch (err) {
      return fail((err as Error).message, name);
    }
  }
  return tensors;
}

/** The product of a shape, or undefined when it is not a safe integer. */
function checkedNumel(shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/** Why a view does not fit its storage (undefined when it does). */
function viewProblem(ref: TensorRef, numel: number): string | undefined {
  if (numel === 0) return undefined;
  const { shape, stride, offset } = ref;
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
  if (!Number.isSafeInteger(last) || last >= ref.storage.numel) {
    return `view (offset ${offset}, shape [${shape.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last} of a storage of ${ref.storage.numel}`;
  }
  return undefined;
}

/**
 * A (possibly strided) view of a storage as a contiguous row-major array. The view was checked
 * against the storage and the memory budget beforehand. A contiguous view is returned without
 * a copy when `mayShare` (nobody else will read or write the storage).
 */
function materialize(ref: TensorRef, storage: HostTensorData, mayShare: boolean): HostTensorData {
  const { shape, stride, offset } = ref;
  const numel = numelOf(shape);
  const Ctor = typedArrayFor(ref.storage.dtype);
  if (numel === 0) return new Ctor(new ArrayBuffer(0));
  let contiguous = true;
  for (let d = shape.length - 1, expect = 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) contiguous = false;
    expect *= shape[d]!;
  }
  if (contiguous) {
    return mayShare
      ? storage.subarray(offset, offset + numel)
      : storage.slice(offset, offset + numel);
  }
  const out = new Ctor(new ArrayBuffer(numel * storage.BYTES_PER_ELEMENT)) as HostTensorData & {
    [i: number]: number | bigint;
  };
  const src = storage as HostTensorData & { [i: number]: number | bigint };
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    out[i] = src[at]!;
    // Odometer increment over the multi-index, innermost dimension fastest.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = idx[d]! + 1;
      at += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= idx[d]! * stride[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

function findTorchGlobal(file: string, module: string, name: string): PyCallable | PyClassRef {
  const qualname = `${module}.${name}`;
  const make = HANDLERS[qualname];
  if (make) return make(file);
  if (Object.hasOwn(TORCH_STORAGE_DTYPES, qualname) || TORCH_ALLOWED_GLOBALS.includes(qualname)) {
    return new PyClassRef(qualname);
  }
  // The name comes from the file: keep a hostile megabyte-long one out of the message.
  throw new CheckpointSecurityError(
    file,
    qualname.length > 200 ? `${qualname.slice(0, 200)}…` : qualname,
  );
}

function persistentLoad(file: string, pid: unknown, storages: Map<string, StorageRef>): StorageRef {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file, `bad persistent id ${describe(pid)}: ${msg}`);
  };
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
    return fail("expected ('storage', type, key, location, numel)");
  }
  const [, type, key, location, numel] = pid as unknown[];
  if (!(type instanceof PyClassRef) || !Object.hasOwn(TORCH_STORAGE_DTYPES, type.qualname)) {
    return fail(`unsupported storage type ${describe(type)}`);
  }
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key))
    return fail('storage key is not a plain name');
  if (!isNonNegativeInt(numel)) return fail('numel is not a non-negative integer');
  const dtype = TORCH_STORAGE_DTYPES[type.qualname]!;
  const known = storages.get(key);
  if (known) {
    if (known.dtype !== dtype || known.numel !== numel)
      fail(`storage "${key}" is declared twice, differently`);
    return known;
  }
  const ref = new StorageRef(key, dtype, String(location), numel);
  storages.set(key, ref);
  return ref;
}

const HANDLERS: Record<string, (file: string) => PyCallable> = {
  'collections.OrderedDict': () =>
    new PyCallable(
      'collections.OrderedDict',
      (args) => {
        const m = new Map<unknown, unknown>();
        const items = args[0];
        if (Array.isArray(items)) {
          for (const pair of items)
            if (Array.isArray(pair) && pair.length === 2) m.set(pair[0], pair[1]);
        }
        return m;
      },
      // BUILD sets instance attributes such as a state dict's `_metadata`; they are not needed.
      (obj) => obj,
    ),
  'torch._utils._rebuild_tensor_v2': (file) =>
    new PyCallable('torch._utils._rebuild_tensor_v2', (args) => rebuildTensor(file, args)),
  'torch._utils._rebuild_tensor': (file) =>
    new PyCallable('torch._utils._rebuild_tensor', (args) => rebuildTensor(file, args)),
  'torch._utils._rebuild_parameter': (file) =>
    new PyCallable('torch._utils._rebuild_parameter', (args) =>
      tensorArg(file, args[0], 'Parameter data'),
    ),
  'torch._utils._rebuild_parameter_with_state': (file) =>
    new PyCallable('torch._utils._rebuild_parameter_with_state', (args) =>
      tensorArg(file, args[0], 'Parameter data'),
    ),
  'torch._tensor._rebuild_from_type_v2': (file) =>
    new PyCallable('torch._tensor._rebuild_from_type_v2', (args) => {
      const [func, , inner] = args;
      if (!(func instanceof PyCallable) || !Array.isArray(inner)) {
        throw new CheckpointFormatError(file, `bad _rebuild_from_type_v2 arguments`);
      }
      return tensorArg(file, func.call(inner), '_rebuild_from_type_v2 result');
    }),
};

function rebuildTensor(file: string, args: unknown[]): TensorRef {
  const [storage, offset, shape, stride] = args;
  const bad = (what: string): never => {
    throw new CheckpointFormatError(file, `bad _rebuild_tensor arguments: ${what}`);
  };
  if (!(storage instanceof StorageRef)) return bad(`storage is a ${describe(storage)}`);
  if (!isNonNegativeInt(offset)) return bad('storage offset is not a non-negative integer');
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt))
    return bad('size is not a tuple of integers');
  if (!Array.isArray(stride) || !stride.every(isNonNegativeInt) || stride.length !== shape.length) {
    return bad('stride is not a tuple of integers of the same length as size');
  }
  return new TensorRef(storage, offset, shape as number[], stride as number[]);
}

function tensorArg(file: string, v: unknown, what: string): TensorRef {
  if (!(v instanceof TensorRef))
    throw new CheckpointFormatError(file, `${what} is a ${describe(v)}, not a tensor`);
  return v;
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
