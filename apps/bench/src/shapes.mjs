/**
 * The model shapes the benchmark times one ACT training step at. `tiny` and `reduced` are cheap
 * enough for lavapipe; the two paper shapes are the Sudoku-Extreme models of the TRM paper
 * (D 512, 8 heads, H_cycles 3, L_cycles 6, 81 cells + 16 puzzle-embedding positions), timed at
 * the batches of {@link PAPER_BATCHES} where a real GPU is present.
 */

/** Settings every Sudoku-shaped model shares. */
const SUDOKU = {
  seq_len: 81,
  vocab_size: 11,
  num_puzzle_identifiers: 1,
  puzzle_emb_len: 16,
  expansion: 4,
  L_layers: 2,
  halt_max_steps: 16,
};

/** The paper's Sudoku models (arch/trm.yaml with the sudoku-att and sudoku-mlp presets). */
const PAPER = { ...SUDOKU, hidden_size: 512, num_heads: 8, H_cycles: 3, L_cycles: 6 };

/** Batches the paper shapes are timed at (the preset runs 1536; 768 is the reference's default). */
export const PAPER_BATCHES = [64, 256, 768];

/**
 * @typedef {object} Shape
 * @property {string} name key on the command line (`--shapes tiny,paper-mlp`)
 * @property {string} label what the tables call it
 * @property {Record<string, unknown>} config `resolveTrmConfig` input, without `batch_size`
 * @property {number[]} batches batch sizes to time
 * @property {boolean} paper true for the paper-sized shapes, which `--quick` skips
 */

/** @type {readonly Shape[]} */
export const SHAPES = [
  {
    name: 'tiny',
    label: 'tiny-sudoku preset (seq 16+1, D 64, 2 heads, H 2 / L 2)',
    config: {
      seq_len: 16,
      vocab_size: 6,
      num_puzzle_identifiers: 1001,
      puzzle_emb_len: 1,
      hidden_size: 64,
      num_heads: 2,
      expansion: 2,
      L_layers: 2,
      H_cycles: 2,
      L_cycles: 2,
      halt_max_steps: 4,
    },
    batches: [32],
    paper: false,
  },
  {
    name: 'reduced',
    label: 'reduced Sudoku (seq 81+16, D 128, 4 heads, H 2 / L 2)',
    config: { ...SUDOKU, hidden_size: 128, num_heads: 4, H_cycles: 2, L_cycles: 2 },
    batches: [8],
    paper: false,
  },
  {
    name: 'paper-mlp',
    label: 'paper Sudoku-MLP (seq 81+16, D 512, MLP-T, H 3 / L 6)',
    config: { ...PAPER, mlp_t: true, pos_encodings: 'none' },
    batches: PAPER_BATCHES,
    paper: true,
  },
  {
    name: 'paper-att',
    label: 'paper Sudoku-attention (seq 81+16, D 512, 8 heads, H 3 / L 6)',
    config: { ...PAPER, mlp_t: false, pos_encodings: 'rope' },
    batches: PAPER_BATCHES,
    paper: true,
  },
];

/** The shape called `name`, or undefined. */
export function shapeNamed(name) {
  return SHAPES.find((s) => s.name === name);
}
