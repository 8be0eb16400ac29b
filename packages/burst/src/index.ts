/**
 * @packageDocumentation
 * @module mlinfn-burst
 *
 * Burst cells of mlinfn-lab: run one notebook cell on an HTCondor pool, a Spark cluster or a
 * local process, follow it in the Jobs panel, and get its outputs back in the cell.
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugins: JupyterFrontEndPlugin<any>[] = [];

export default plugins;
