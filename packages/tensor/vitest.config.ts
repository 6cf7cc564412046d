import { defineConfig } from 'vitest/config';
import { gpuTests } from '../../vitest.shared.ts';

export default defineConfig({ test: { ...gpuTests, include: [...gpuTests.include] } });
