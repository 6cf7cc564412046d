export { arcGridFromCanvas, cropArcGrid } from './arc-grid.js';
export {
  ARC_PALETTE,
  renderArcSvg,
  renderMazeSvg,
  renderSudokuSvg,
  type SvgRenderOptions,
} from './svg.js';
export { renderArcText, renderMazeText, renderSudokuText, type TextRenderOptions } from './text.js';
