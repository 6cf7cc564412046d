// Apart from metadata.ts, which reads files, so that the browser entry's codecs can use it.

/**
 * Longest sequence a dataset may declare. Real ones use 81 (Sudoku) to 900 (ARC, 30×30
 * mazes); a larger value is a corrupt file, refused before anyone sizes a buffer by it.
 */
export const MAX_SEQ_LEN = 1 << 20;
