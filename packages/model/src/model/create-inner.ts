import type { Generator } from '@trm/tensor';
import type { ArchitectureKind } from '../architectures.js';
import { architectureOf, type TrmConfig } from '../config.js';
import { HrmInner } from './hrm.js';
import { type InnerModel, TrmInner } from './inner.js';
import { TransformerBaselineInner } from './transformer-baseline.js';
import { Hier6Inner } from './trm-hier6.js';
import { SingleZInner } from './trm-singlez.js';

/** The inner model class of each architecture. */
const INNER_MODELS: Record<
  ArchitectureKind,
  new (
    config: TrmConfig,
    generator: Generator,
  ) => InnerModel
> = {
  trm: TrmInner,
  trm_singlez: SingleZInner,
  trm_hier6: Hier6Inner,
  hrm: HrmInner,
  transformers_baseline: TransformerBaselineInner,
};

/** Builds the inner model of the architecture `config.name` selects. */
export function createInner(config: TrmConfig, generator: Generator): InnerModel {
  return new INNER_MODELS[architectureOf(config).kind](config, generator);
}
