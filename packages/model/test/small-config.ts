/**
 * The small attention TRM the model tests run (batch 2, 9 cells + 2 puzzle positions, hidden
 * 32): quick on lavapipe, yet every part of the model is there.
 */
export const SMALL_TRM = {
  batch_size: 2,
  seq_len: 9,
  vocab_size: 6,
  num_puzzle_identifiers: 3,
  hidden_size: 32,
  num_heads: 2,
  L_layers: 1,
  H_cycles: 2,
  L_cycles: 1,
  puzzle_emb_len: 2,
  halt_max_steps: 2,
};
