import { readFileSync } from 'node:fs';

/** Units of each hidden layer of a saved TF.js network, read from its topology file. */
export function hiddenUnits(topologyFile: string): number[] {
  const { modelTopology } = JSON.parse(readFileSync(topologyFile, 'utf8')) as { modelTopology: { config: { layers: Array<{ config: { name: string; units?: number } }> } } };
  return modelTopology.config.layers.filter((l) => l.config.name.startsWith('hidden_')).map((l) => l.config.units!);
}
