import type { CommandGroupMeta, CommandMeta, FlagMeta } from '../cli/types.js';

/** Flags every command accepts. */
export const globalFlags: readonly FlagMeta[] = [
  { name: 'help', type: 'boolean', description: 'Show help for the command and exit.' },
  {
    name: 'debug',
    type: 'boolean',
    description: 'Print stack traces on errors and extra diagnostics.',
  },
];

const configDirFlag: FlagMeta = {
  name: 'config-dir',
  type: 'string',
  valueName: 'DIR',
  description:
    'Directory of YAML configs that shadow the shipped ones (cfg_pretrain.yaml, arch/*.yaml, presets/*.yaml).',
};

/** `--checkpoint` of the commands that read a trained model (eval, adapt, export, predict arc). */
const checkpointFlag: FlagMeta = {
  name: 'checkpoint',
  type: 'string',
  valueName: 'PATH',
  required: true,
  description:
    'Checkpoint file (our safetensors or a PyTorch torch.save file), a run directory (its newest complete checkpoint), or a hub file owner/repo/filename.',
};

/** `--preset` of the commands that run a checkpoint with the config beside it (eval, adapt). */
const checkpointPresetFlag: FlagMeta = {
  name: 'preset',
  type: 'string',
  valueName: 'NAME',
  description: 'Preset to resolve the config from when the checkpoint has no all_config.yaml.',
};

const overwriteFlag: FlagMeta = {
  name: 'overwrite',
  type: 'boolean',
  default: false,
  description:
    'Replace the output if it already exists (otherwise an existing output is an error).',
};

const sourceHelp =
  'Where the CSVs come from: a directory holding train.csv and test.csv, a pair TRAIN.csv,TEST.csv, or a Hugging Face dataset id (owner/name; HF_ENDPOINT, HF_TOKEN and HF_HOME are honoured).';

const devicesFlag: FlagMeta = {
  name: 'devices',
  type: 'string',
  valueName: 'N|all|I,J,…',
  description:
    'Data-parallel over several WebGPU devices, one worker thread each: a count, `all` adapters, or adapter indices (`0,2`; `1,` alone; repeats open several devices on one adapter). With one adapter, N devices share it. The global batch is split evenly.',
};

/** `--source` and `--output-dir` of the CSV-based dataset builders. */
function csvSourceFlags(source: string, outputDir: string): FlagMeta[] {
  return [
    {
      name: 'source',
      aliases: ['source-repo'],
      type: 'string',
      valueName: 'SRC',
      default: source,
      description: sourceHelp,
    },
    {
      name: 'output-dir',
      type: 'string',
      valueName: 'DIR',
      default: outputDir,
      description: 'Dataset directory to write.',
    },
  ];
}

/** Every command of `trm`, as data: help, argument parsing and the docs site use it. */
export const commands: readonly CommandMeta[] = [
  {
    name: 'train',
    summary: 'Train a model from a Hydra-style config (default preset: tiny-sudoku).',
    description:
      'Composes the training config from config/cfg_pretrain.yaml, the selected arch group and preset, then the key=value overrides, validates it and starts training. Without --preset the small tiny-sudoku preset runs (its 4x4 Sudoku dataset is generated on first use); --preset none gives the reference cfg_pretrain.yaml unchanged.',
    usage:
      'train [--preset NAME] [--config-dir DIR] [--resume DIR] [--seeds K,K,…] [--overwrite] [--devices N] [--print-config] [--debug] [key=value ...]',
    positionals: [],
    overrides: true,
    flags: [
      {
        name: 'preset',
        type: 'string',
        valueName: 'NAME',
        default: 'tiny-sudoku',
        description:
          'Named config from presets/ (see `trm presets`); `none` for the plain reference config. Same as the override preset=NAME.',
      },
      configDirFlag,
      {
        name: 'config-name',
        type: 'string',
        valueName: 'NAME',
        default: 'cfg_pretrain',
        description: 'Primary config file (NAME.yaml) on the config path.',
      },
      {
        name: 'resume',
        type: 'string',
        valueName: 'DIR',
        description: 'Continue the run whose checkpoints and all_config.yaml are in DIR.',
      },
      {
        name: 'overwrite',
        type: 'boolean',
        default: false,
        description:
          "Train into a run directory (checkpoint_path) that is not empty: the previous run's checkpoints, metrics.jsonl, all_config.yaml and charts there are removed first; other files are left alone. Without it a non-empty run directory is an error.",
      },
      {
        name: 'seeds',
        type: 'string',
        valueName: 'K,K,…',
        description:
          'Train the same config once per seed, one run after another (each on every device of --devices), into checkpoint_path/seed-<K>; then write seeds_summary.json and seeds_summary.md into checkpoint_path and print the table: each final evaluation metric as mean ± sample std over the seeds and, for accuracies, the 95% Wilson interval over the pooled correct counts. Distinct non-negative integers; not with a seed=… override or --resume.',
      },
      devicesFlag,
      {
        name: 'print-config',
        type: 'boolean',
        default: false,
        description: 'Print the resolved config as YAML and exit without training.',
      },
      {
        name: 'prepare-data',
        type: 'boolean',
        default: true,
        negatable: true,
        description:
          "Generate the preset's dataset when the preset has a recipe and data_paths[0] is missing.",
      },
    ],
    examples: [
      {
        command: 'trm train',
        description: 'Train the small default (4x4 Sudoku) on this machine.',
      },
      {
        command: 'trm train --preset sudoku-mlp +run_name=pretrain_mlp_t_sudoku',
        description: "The README's Sudoku-Extreme MLP run.",
      },
      {
        command:
          'trm train --preset none arch=trm data_paths="[data/maze-30x30-hard-1k]" evaluators="[]" arch.L_cycles=4',
        description: 'Reference defaults with README-style overrides.',
      },
      {
        command: 'trm train --seeds 0,1,2 checkpoint_path=runs/three-seeds',
        description:
          'Three runs of the default preset, seeds 0, 1 and 2, and their mean ± std and pooled Wilson intervals.',
      },
      {
        command: 'trm train --print-config arch.hidden_size=128',
        description: 'Show the resolved config without training.',
      },
    ],
  },
  {
    name: 'eval',
    summary: 'Evaluate a checkpoint on a dataset (exact accuracy, Wilson intervals, ARC pass@k).',
    description:
      'Loads a checkpoint (a local path, or a Hugging Face hub file owner/repo/filename), runs every test example to halt_max_steps and reports the metrics with 95% Wilson intervals; ARC datasets also get pass@k and a submission.json. The config comes from the all_config.yaml next to the checkpoint when present, with key=value overrides on top; arch.halt_max_steps=N runs more or fewer supervision steps than the checkpoint was trained with.',
    usage:
      'eval --checkpoint PATH|OWNER/REPO/FILE --dataset DIR [--outdir DIR] [--overwrite] [--eval-save-outputs KEY ...] [--global-batch-size N] [--no-apply-ema] [--ema-shadow FILE] [--devices N] [--one-batch] [--act-inference] [--per-step] [--puzzle-ids MODE] [--json] [--config-dir DIR] [--preset NAME] [key=value ...]',
    positionals: [],
    overrides: true,
    flags: [
      checkpointFlag,
      {
        name: 'dataset',
        type: 'string',
        valueName: 'DIR',
        required: true,
        description: 'Dataset directory (with test/).',
      },
      {
        name: 'outdir',
        type: 'string',
        valueName: 'DIR',
        description:
          'Where metrics.json, the saved outputs (.npy) and evaluator files such as submission.json go (default: eval_<checkpoint name> next to the checkpoint). Must be new or empty unless --overwrite is given.',
      },
      {
        name: 'overwrite',
        type: 'boolean',
        default: false,
        description:
          'Write into an --outdir that is not empty, replacing only the files this evaluation writes; everything else there is left as it is.',
      },
      {
        name: 'eval-save-outputs',
        type: 'string[]',
        valueName: 'KEY',
        default: ['inputs', 'labels', 'puzzle_identifiers', 'preds'],
        description:
          'Batch and output keys to save as <key>.npy: inputs, labels, puzzle_identifiers, preds, logits (rows × seq_len × vocab, f32), q_halt_logits, q_continue_logits, steps.',
      },
      {
        name: 'global-batch-size',
        type: 'integer',
        valueName: 'N',
        description: "Evaluation batch size (default: the checkpoint config's global_batch_size).",
      },
      {
        name: 'apply-ema',
        type: 'boolean',
        default: true,
        negatable: true,
        description:
          'Evaluate the EMA weights when the checkpoint has them (--no-apply-ema for the raw weights).',
      },
      {
        name: 'ema-shadow',
        type: 'string',
        valueName: 'FILE',
        description: 'Separate file holding the EMA shadow weights.',
      },
      devicesFlag,
      {
        name: 'one-batch',
        type: 'boolean',
        default: false,
        description:
          'Evaluate one batch of the test split drawn at random as training draws it (smoke test); the intervals count its rows.',
      },
      {
        name: 'act-inference',
        type: 'boolean',
        default: false,
        description:
          'Halt each row by its Q head, as training does without exploration: at the first step where q_halt > q_continue (q_halt > 0 with arch.no_ACT_continue=True), at arch.halt_max_steps at the latest. Each row is scored with its predictions at that step, <set>/steps becomes the mean number of steps used, and the losses are left out.',
      },
      {
        name: 'per-step',
        type: 'boolean',
        default: false,
        description:
          'Also report the accuracy and exact accuracy after each supervision step 1..arch.halt_max_steps, as if every row stopped there (with --act-inference, also the fraction of rows halted by then): a table on stdout, per_step in metrics.json and a chart, per_step.svg.',
      },
      {
        name: 'puzzle-ids',
        type: 'string',
        valueName: 'MODE',
        choices: ['real', 'blank', 'random', 'shuffled'],
        default: 'real',
        description:
          "Puzzle identifiers the model sees: real; blank (the dataset's blank identifier, 0); random (uniform over the model's num_puzzle_identifiers); shuffled (the evaluated examples' identifiers, permuted). random and shuffled are seeded (seed 0). Evaluators still group predictions by the real identifiers; puzzle_identifiers.npy holds those the model saw.",
      },
      {
        name: 'json',
        type: 'boolean',
        default: false,
        description:
          'Print the report (metrics with their Wilson intervals and N, the output files) as JSON on stdout, as written to metrics.json; progress stays on stderr.',
      },
      configDirFlag,
      checkpointPresetFlag,
    ],
    examples: [
      {
        command:
          'trm eval --checkpoint alphaxiv/trm-model-maze/maze_hard_step_32550 --dataset data/maze-30x30-hard-1k --one-batch',
        description: 'Smoke test of published weights.',
      },
      {
        command:
          'trm eval --checkpoint trained_models/step_32550_sudoku_epoch50k --dataset data/sudoku-extreme-1k-aug-1000 --outdir checkpoints/sudoku_eval_run --global-batch-size 1536',
        description: 'Full evaluation with EMA weights.',
      },
      {
        command:
          'trm eval --checkpoint checkpoints/my_run --dataset data/sudoku-4x4-tiny --per-step --act-inference arch.halt_max_steps=24',
        description:
          'Test-time depth: more supervision steps than in training, the accuracy after each, and where the Q head would have stopped.',
      },
      {
        command:
          'trm eval --checkpoint checkpoints/my_run --dataset data/arc-aug-1000 --puzzle-ids blank',
        description: 'How much the puzzle embedding matters: every identifier blanked.',
      },
    ],
  },
  {
    name: 'adapt',
    summary: 'Adapt a checkpoint to unseen puzzles: new puzzle-embedding rows, trained alone.',
    description:
      "Test-time adaptation: appends one puzzle-embedding row per puzzle identifier of DATASET (a dataset the checkpoint has never seen, built on its own: its identifiers 1, 2, … become rows N, N+1, … after the checkpoint's N rows; the blank identifier 0 stays row 0), each starting at the mean of the checkpoint's rows, and trains only those rows with sign-SGD on DATASET's train split for --steps steps; with --whole-model-steps M, then every weight for M steps (AdamATan2 at the config's lr; the checkpoint's own puzzle rows never change). Evaluates on DATASET's test split before and after each phase and prints the change. The output directory holds the adapted checkpoint after each phase (step_<N>.safetensors), its all_config.yaml, metrics.jsonl, adapt.json (rows, rule, the evaluations with Wilson intervals) and adapt_dataset/, DATASET with its identifiers renumbered for the adapted table, which trm eval takes with the adapted checkpoint. The config is the all_config.yaml beside the checkpoint with key=value overrides on top (global_batch_size, lr, puzzle_emb_weight_decay, …).",
    usage:
      'adapt --checkpoint PATH|OWNER/REPO/FILE --dataset DIR [--steps N] [--lr X] [--whole-model-steps M] [--outdir DIR] [--overwrite] [--config-dir DIR] [--preset NAME] [key=value ...]',
    positionals: [],
    overrides: true,
    flags: [
      checkpointFlag,
      {
        name: 'dataset',
        type: 'string',
        valueName: 'DIR',
        required: true,
        description:
          "The unseen puzzles: a dataset directory with train/ (the rows are trained on it) and test/ (evaluated), of the checkpoint's kind (same vocab_size and seq_len).",
      },
      {
        name: 'steps',
        type: 'integer',
        valueName: 'N',
        default: 100,
        description:
          'Sign-SGD steps on the appended puzzle rows alone (every other weight frozen).',
      },
      {
        name: 'lr',
        type: 'number',
        valueName: 'X',
        description:
          "Learning rate of the appended rows, constant over the steps (default: the checkpoint config's puzzle_emb_lr).",
      },
      {
        name: 'whole-model-steps',
        type: 'integer',
        valueName: 'M',
        default: 0,
        description:
          "Then train every weight for M steps, AdamATan2 at the config's lr (set it with lr=…), constant.",
      },
      {
        name: 'outdir',
        type: 'string',
        valueName: 'DIR',
        description:
          'Where the adapted checkpoint, adapt.json and adapt_dataset/ go (default: adapt_<dataset name> next to the checkpoint). Must be new or empty unless --overwrite is given.',
      },
      {
        name: 'overwrite',
        type: 'boolean',
        default: false,
        description:
          'Write into an --outdir that is not empty, replacing only the files trm adapt writes; everything else there is left as it is.',
      },
      configDirFlag,
      checkpointPresetFlag,
    ],
    examples: [
      {
        command:
          'trm adapt --checkpoint checkpoints/my_run --dataset data/new-puzzles --steps 200 --lr 0.01',
        description:
          'Train rows for the new puzzles only; compare the test split before and after.',
      },
      {
        command:
          'trm adapt --checkpoint checkpoints/my_run --dataset data/new-puzzles --whole-model-steps 50 lr=1e-5 global_batch_size=64',
        description: 'Then fine-tune every weight for 50 steps.',
      },
    ],
  },
  {
    name: 'build-dataset sudoku',
    summary: 'Build the Sudoku dataset (Sudoku-Extreme from the hub, or your CSVs).',
    description:
      'Reads source,question,answer,rating CSVs (9x9, 6x6 or 4x4) and writes the train/test dataset in the reference layout; each training puzzle becomes a group with --num-aug validity-preserving augmentations. The output appears only when complete.',
    usage:
      'build-dataset sudoku [--source DIR|TRAIN.csv,TEST.csv|OWNER/NAME] [--output-dir DIR] [--subsample-size N] [--min-difficulty N] [--num-aug N] [--seed N] [--overwrite]',
    positionals: [],
    flags: [
      ...csvSourceFlags('sapientinc/sudoku-extreme', 'data/sudoku-extreme-full'),
      {
        name: 'subsample-size',
        type: 'integer',
        valueName: 'N',
        description: 'Random subset of N training puzzles.',
      },
      {
        name: 'min-difficulty',
        type: 'integer',
        valueName: 'N',
        description: 'Keep only puzzles rated at least N.',
      },
      {
        name: 'num-aug',
        type: 'integer',
        valueName: 'N',
        default: 0,
        description: 'Augmented copies per training puzzle.',
      },
      { name: 'seed', type: 'integer', valueName: 'N', default: 42, description: 'Random seed.' },
      overwriteFlag,
    ],
    examples: [
      {
        command:
          'trm build-dataset sudoku --output-dir data/sudoku-extreme-1k-aug-1000 --subsample-size 1000 --num-aug 1000',
        description: "The README's Sudoku-Extreme 1k x 1000 dataset.",
      },
      {
        command:
          'trm build-dataset sudoku --source data/sudoku-4x4-csv --output-dir data/sudoku-4x4 --num-aug 3',
        description: 'From CSVs made by `trm generate sudoku`.',
      },
    ],
  },
  {
    name: 'build-dataset maze',
    summary: 'Build the Maze dataset (Maze-Hard 30x30 from the hub, or your CSVs).',
    description:
      'Reads maze CSVs (characters #, space, S, G, o) and writes the dataset in the reference layout; --aug adds the 8 dihedral images of each training maze as one group.',
    usage:
      'build-dataset maze [--source DIR|TRAIN.csv,TEST.csv|OWNER/NAME] [--output-dir DIR] [--subsample-size N] [--min-difficulty N] [--aug] [--seed N] [--overwrite]',
    positionals: [],
    flags: [
      ...csvSourceFlags('sapientinc/maze-30x30-hard-1k', 'data/maze-30x30-hard-1k'),
      {
        name: 'subsample-size',
        type: 'integer',
        valueName: 'N',
        description: 'Random subset of N training mazes.',
      },
      {
        name: 'min-difficulty',
        type: 'integer',
        valueName: 'N',
        description: 'Keep only mazes rated (shortest path length) at least N.',
      },
      {
        name: 'aug',
        type: 'boolean',
        default: false,
        description: 'Add the 8 dihedral transforms of each training maze.',
      },
      {
        name: 'seed',
        type: 'integer',
        valueName: 'N',
        default: 42,
        description: 'Random seed (subsampling).',
      },
      overwriteFlag,
    ],
    examples: [
      {
        command: 'trm build-dataset maze',
        description: "The README's Maze-Hard dataset (data/maze-30x30-hard-1k).",
      },
    ],
  },
  {
    name: 'build-dataset arc',
    summary: 'Build an ARC-AGI dataset from Kaggle-style JSON files, with augmentation.',
    description:
      'Reads <prefix>_<subset>_challenges.json (and _solutions.json) for each subset; the test subset contributes its test pairs to the test split. Every puzzle gets --num-aug distinct dihedral + colour-permutation variants, all in one group.',
    usage:
      'build-dataset arc [--input-file-prefix PREFIX] [--output-dir DIR] [--subsets NAME ...] [--test-set-name NAME] [--num-aug N] [--seed N] [--overwrite]',
    positionals: [],
    flags: [
      {
        name: 'input-file-prefix',
        type: 'string',
        valueName: 'PREFIX',
        default: 'kaggle/combined/arc-agi',
        description: 'Path prefix of the JSON files (PREFIX_training_challenges.json, ...).',
      },
      {
        name: 'output-dir',
        type: 'string',
        valueName: 'DIR',
        default: 'data/arc-aug-1000',
        description: 'Dataset directory to write.',
      },
      {
        name: 'subsets',
        type: 'string[]',
        valueName: 'NAME',
        default: ['training', 'evaluation', 'concept'],
        description: 'Subsets to read.',
      },
      {
        name: 'test-set-name',
        type: 'string',
        valueName: 'NAME',
        default: 'evaluation',
        description: 'Subset whose test pairs form the test split.',
      },
      {
        name: 'test-set-name2',
        type: 'string',
        valueName: 'NAME',
        default: 'your_test_set',
        description: 'A second test subset name.',
      },
      {
        name: 'num-aug',
        type: 'integer',
        valueName: 'N',
        default: 1000,
        description: 'Augmented variants per puzzle.',
      },
      { name: 'seed', type: 'integer', valueName: 'N', default: 42, description: 'Random seed.' },
      {
        name: 'puzzle-identifiers-start',
        type: 'integer',
        valueName: 'N',
        default: 1,
        description: 'First puzzle identifier (raise it to merge several ARC datasets).',
      },
      overwriteFlag,
    ],
    examples: [
      {
        command:
          'trm build-dataset arc --input-file-prefix kaggle/combined/arc-agi --output-dir data/arc1concept-aug-1000 --subsets training evaluation concept --test-set-name evaluation',
        description: 'ARC-AGI-1 as in the README.',
      },
      {
        command:
          'trm build-dataset arc --output-dir data/arc2concept-aug-1000 --subsets training2 evaluation2 concept --test-set-name evaluation2',
        description: 'ARC-AGI-2 as in the README.',
      },
    ],
  },
  {
    name: 'generate sudoku',
    summary: 'Generate Sudoku puzzles with unique solutions as CSV (4x4, 6x6 or 9x9).',
    description:
      'Writes source,question,answer,rating CSVs that `trm build-dataset sudoku --source` reads. An --output ending in .csv gets one file of --count puzzles; otherwise a directory with train.csv (--count) and test.csv (--test-count). The rating is the number of solver guesses.',
    usage:
      'generate sudoku [--size 4|6|9] [--count N] [--test-count N] [--hard] [--min-rating N] [--seed N] [--output DIR|FILE.csv] [--overwrite]',
    positionals: [],
    flags: [
      {
        name: 'size',
        type: 'integer',
        valueName: 'N',
        default: 9,
        choices: ['4', '6', '9'],
        description: 'Grid side.',
      },
      {
        name: 'count',
        type: 'integer',
        valueName: 'N',
        default: 1000,
        description: 'Puzzles (training puzzles when writing a directory).',
      },
      {
        name: 'test-count',
        type: 'integer',
        valueName: 'N',
        default: 100,
        description: 'Test puzzles when writing a directory.',
      },
      {
        name: 'hard',
        type: 'boolean',
        default: false,
        description: 'Keep only hard puzzles (the size default rating threshold).',
      },
      {
        name: 'min-rating',
        type: 'integer',
        valueName: 'N',
        description: 'Keep only puzzles rated at least N (overrides --hard).',
      },
      {
        name: 'seed',
        type: 'integer',
        valueName: 'N',
        default: 0,
        description: 'Random seed (output is deterministic for a seed).',
      },
      {
        name: 'output',
        type: 'string',
        valueName: 'PATH',
        default: 'data/generated-sudoku',
        description: 'Output directory, or a .csv file.',
      },
      overwriteFlag,
    ],
    examples: [
      {
        command:
          'trm generate sudoku --size 4 --count 1000 --test-count 200 --output data/sudoku-4x4-csv',
        description: 'Small Sudokus for a laptop run.',
      },
      {
        command: 'trm generate sudoku --hard --count 50 --output hard.csv',
        description: 'Fifty hard 9x9 puzzles in one CSV.',
      },
    ],
  },
  {
    name: 'generate maze',
    summary: 'Generate mazes with their shortest path as CSV.',
    description:
      'Writes maze CSVs (# wall, space open, S start, G goal, o path in the answer) that `trm build-dataset maze --source` reads. The rating is the shortest path length; --hard keeps long paths only (110 steps for 30x30, scaled by area).',
    usage:
      'generate maze [--size N] [--count N] [--test-count N] [--hard] [--min-path-length N] [--seed N] [--output DIR|FILE.csv] [--overwrite]',
    positionals: [],
    flags: [
      {
        name: 'size',
        type: 'integer',
        valueName: 'N',
        default: 30,
        description: 'Grid side (at least 5).',
      },
      {
        name: 'count',
        type: 'integer',
        valueName: 'N',
        default: 1000,
        description: 'Mazes (training mazes when writing a directory).',
      },
      {
        name: 'test-count',
        type: 'integer',
        valueName: 'N',
        default: 100,
        description: 'Test mazes when writing a directory.',
      },
      {
        name: 'hard',
        type: 'boolean',
        default: false,
        description: 'Keep only mazes with a long shortest path.',
      },
      {
        name: 'min-path-length',
        type: 'integer',
        valueName: 'N',
        description: 'Keep only mazes whose shortest path has at least N steps (overrides --hard).',
      },
      { name: 'seed', type: 'integer', valueName: 'N', default: 0, description: 'Random seed.' },
      {
        name: 'output',
        type: 'string',
        valueName: 'PATH',
        default: 'data/generated-maze',
        description: 'Output directory, or a .csv file.',
      },
      overwriteFlag,
    ],
    examples: [
      {
        command: 'trm generate maze --size 9 --count 500 --output data/maze-9x9-csv',
        description: 'Small mazes for a laptop run.',
      },
    ],
  },
  {
    name: 'show',
    summary: 'Render puzzles and labels of a dataset or puzzle CSV as text or SVG.',
    description:
      'Prints puzzles (Sudoku, Maze or ARC, detected from the dataset metadata) with their labels, or writes them side by side into one SVG. PATH is a dataset directory or a CSV written by `trm generate`.',
    usage:
      'show PATH [--split train|test] [--set NAME] [--index N] [--count N] [--no-labels] [--svg FILE] [--color|--no-color] [--checkpoint PATH]',
    positionals: [
      { name: 'path', description: 'Dataset directory or puzzle CSV.', required: true },
    ],
    flags: [
      {
        name: 'split',
        type: 'string',
        valueName: 'SPLIT',
        default: 'test',
        choices: ['train', 'test'],
        description: 'Dataset split.',
      },
      {
        name: 'set',
        type: 'string',
        valueName: 'NAME',
        default: 'all',
        description: 'Set name inside the split.',
      },
      {
        name: 'index',
        type: 'integer',
        valueName: 'N',
        default: 0,
        description: 'First example to show.',
      },
      {
        name: 'count',
        type: 'integer',
        valueName: 'N',
        default: 1,
        description: 'Number of examples.',
      },
      {
        name: 'labels',
        type: 'boolean',
        default: true,
        negatable: true,
        description: 'Show labels (solutions) next to the inputs.',
      },
      {
        name: 'svg',
        type: 'string',
        valueName: 'FILE',
        description: 'Write an SVG image instead of printing text.',
      },
      {
        name: 'color',
        type: 'boolean',
        negatable: true,
        description: 'ANSI colours (default: when stdout is a terminal).',
      },
      {
        name: 'checkpoint',
        type: 'string',
        valueName: 'PATH',
        description:
          "Also show a checkpoint's predictions (cells that differ from the label are marked): a checkpoint file, a run directory (its newest checkpoint) or a hub file owner/repo/filename.",
      },
    ],
    examples: [
      {
        command: 'trm show data/sudoku-4x4 --count 3',
        description: 'First three test puzzles with solutions.',
      },
      {
        command: 'trm show data/maze-30x30-hard-1k --svg maze.svg',
        description: 'A maze and its path as an image.',
      },
    ],
  },
  {
    name: 'plot',
    summary:
      "Draw a run's charts (SVG) and, with --html, a report page with every curve; or compare runs.",
    description:
      "Reads RUN_DIR/metrics.jsonl (written by trm train, also while it runs) and draws the training and evaluation curves: losses on charts of their own, accuracies of the rows that halted, the learning rate, evaluations as marked points. With --html it also writes report.html: every chart, the last evaluation and the run's config on one page. Given several run directories (and --out DIR), it draws one chart per metric with one line per run, labelled by the directory's name: training loss, exact accuracy and steps, evaluation accuracy and exact accuracy.",
    usage: 'plot RUN_DIR... [--html] [--out DIR] [--overwrite]',
    positionals: [
      {
        name: 'RUN_DIR',
        description: 'Run directory of trm train; several to compare them.',
        required: true,
        repeated: true,
      },
    ],
    flags: [
      {
        name: 'html',
        type: 'boolean',
        default: false,
        description: 'Also write report.html with every chart, the last evaluation and the config.',
      },
      {
        name: 'out',
        type: 'string',
        valueName: 'DIR',
        description: 'Where the charts go (default: RUN_DIR/charts, which trm train also updates).',
      },
      {
        name: 'overwrite',
        type: 'boolean',
        default: false,
        description:
          'Write into an --out directory that is not empty (only the chart files are replaced).',
      },
    ],
    examples: [
      {
        command: 'trm plot checkpoints/Sudoku-4x4-tiny-ACT-torch/TRM-calm-otter --html',
        description: 'Charts and an HTML report of a run (also one still training).',
      },
      {
        command: 'trm plot runs/tiny-sudoku runs/tiny-sudoku-hrm --out compare',
        description: 'The curves of two runs on shared charts.',
      },
    ],
  },
  {
    name: 'export',
    summary: "Write a checkpoint's weights as a torch.save file that PyTorch loads.",
    description:
      "Reads a checkpoint (our safetensors, a torch.save file, a run directory of trm train or a hub file owner/repo/filename) and writes its model weights, under the reference's state-dict names (model.inner.…), dtypes and bits unchanged, as a torch.save file: an OrderedDict of tensors that torch.load(FILE, weights_only=True) reads and the reference's model.load_state_dict accepts. Tensors that are not model weights (optimiser or EMA state) are left out. Nothing is written unless the whole checkpoint reads cleanly.",
    usage: 'export --checkpoint PATH --to pt --out FILE.pt [--overwrite]',
    positionals: [],
    flags: [
      checkpointFlag,
      {
        name: 'to',
        type: 'string',
        valueName: 'FORMAT',
        required: true,
        choices: ['pt'],
        description: 'Format to write: pt (a torch.save zip archive, PyTorch ≥ 1.6).',
      },
      {
        name: 'out',
        type: 'string',
        valueName: 'FILE',
        required: true,
        description: 'The file to write (its directory is created if needed).',
      },
      overwriteFlag,
    ],
    examples: [
      {
        command:
          'trm export --checkpoint checkpoints/Sudoku-4x4-tiny-ACT-torch/TRM-calm-otter --to pt --out trm.pt',
        description: "A run's newest checkpoint as a torch.save file.",
      },
    ],
  },
  {
    name: 'predict arc',
    summary: 'Predict ARC test outputs from a raw challenges file and write a Kaggle submission.',
    description:
      "Reads an ARC-AGI challenges file ({puzzle_id: {train: [...], test: [{input}]}}), runs every test input under each puzzle's augmented variants to halting as trm eval does, maps each prediction back through its augmentation, votes, and writes the two most-voted grids per test input as a Kaggle ARC Prize submission ({puzzle_id: [{attempt_1, attempt_2}, ...]}). No dataset is built. Puzzles named in the identifiers.json of the dataset the checkpoint was trained on (--dataset, else the data_paths of its all_config.yaml) are predicted under their trained variants and identifiers, as trm eval predicts them; the others get the blank identifier 0 and --num-aug drawn variants.",
    usage:
      'predict arc --checkpoint PATH|OWNER/REPO/FILE --challenges FILE.json --out FILE.json [--dataset DIR] [--blank-ids] [--num-aug N] [--seed N] [--global-batch-size N] [--overwrite] [key=value ...]',
    positionals: [],
    overrides: true,
    flags: [
      checkpointFlag,
      {
        name: 'challenges',
        type: 'string',
        valueName: 'FILE',
        required: true,
        description:
          'ARC-AGI challenges JSON, e.g. arc-agi_evaluation_challenges.json; demonstration pairs need their outputs, test inputs none.',
      },
      {
        name: 'out',
        type: 'string',
        valueName: 'FILE',
        required: true,
        description:
          'The submission JSON to write (its directory is created if needed); written only when every prediction is done.',
      },
      {
        name: 'dataset',
        type: 'string',
        valueName: 'DIR',
        description:
          "The dataset the checkpoint was trained on, whose identifiers.json names its puzzle variants (default: the single data_paths entry of the checkpoint's all_config.yaml, when it is there).",
      },
      {
        name: 'blank-ids',
        type: 'boolean',
        default: false,
        description:
          'Ignore trained identifiers: every puzzle gets the blank identifier 0 and --num-aug drawn variants.',
      },
      {
        name: 'num-aug',
        type: 'integer',
        valueName: 'N',
        description:
          'Augmented variants per puzzle besides the original: the first N trained ones of a puzzle with trained identifiers (default: all of them), N drawn ones otherwise (default 8).',
      },
      {
        name: 'seed',
        type: 'integer',
        valueName: 'N',
        default: 42,
        description:
          "Seed of the drawn variants (a puzzle's draw depends only on the seed and its id).",
      },
      {
        name: 'global-batch-size',
        type: 'integer',
        valueName: 'N',
        description: "Rows per model batch (default: the checkpoint config's global_batch_size).",
      },
      {
        name: 'overwrite',
        type: 'boolean',
        default: false,
        description: 'Replace an existing --out file.',
      },
    ],
    examples: [
      {
        command:
          'trm predict arc --checkpoint checkpoints/arc1 --challenges kaggle/combined/arc-agi_evaluation_challenges.json --out submission.json',
        description:
          'Kaggle submission for the evaluation set, voting over the variants the checkpoint was trained on.',
      },
      {
        command:
          'trm predict arc --checkpoint model.safetensors --challenges my_puzzles.json --out my_submission.json --blank-ids --num-aug 16',
        description: 'New puzzles without trained embeddings: 17 variants each, blank identifier.',
      },
    ],
  },
  {
    name: 'presets',
    summary: 'List the named configs usable with --preset.',
    description:
      'Lists presets from --config-dir and the shipped config/presets/, with what each is for and how to build its data.',
    usage: 'presets [--config-dir DIR]',
    positionals: [],
    flags: [configDirFlag],
    examples: [{ command: 'trm presets', description: 'Show all presets.' }],
  },
];

/** Commands with sub-commands. */
export const commandGroups: readonly CommandGroupMeta[] = [
  {
    name: 'build-dataset',
    summary: 'Build a dataset (sudoku, maze, arc) in the reference on-disk format.',
    description:
      'Builds a training/test dataset directory that `trm train` and the PyTorch reference both read.',
    subcommands: ['build-dataset sudoku', 'build-dataset maze', 'build-dataset arc'],
  },
  {
    name: 'predict',
    summary: 'Predict answers for raw puzzles with a checkpoint (arc).',
    description:
      'Runs a checkpoint on puzzles in their original format, without building a dataset first, and writes the answers in the format they are submitted in.',
    subcommands: ['predict arc'],
  },
  {
    name: 'generate',
    summary: 'Generate Sudoku or maze puzzles as CSV.',
    description:
      'Generates puzzles locally (no download) in the hub CSV format, for small datasets and tests.',
    subcommands: ['generate sudoku', 'generate maze'],
  },
];

/** A command's metadata by full name. */
export function findCommand(name: string): CommandMeta | undefined {
  return commands.find((c) => c.name === name);
}
