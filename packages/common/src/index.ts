/**
 * @packageDocumentation
 * @module mlinfn-common
 *
 * The shared front end of mlinfn-lab: the bridge client (tickets, REST, pushed channels),
 * the schema types, shared widgets (time-series chart, progress bar) and formatting helpers.
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { clientPlugin, statusPlugin } from './plugins';

export * from './channels';
export * from './client';
export * from './errors';
export * from './format';
export * from './icons';
export * from './models/progress';
export * from './models/ringbuffer';
export * from './models/status';
export * from './models/timeseries';
export * from './plugins';
export * from './request';
export * from './ticket';
export * from './tokens';
export * from './widgets/dom';
export * from './widgets/progress';
export * from './widgets/status';
export * from './widgets/statusitem';
export * from './widgets/timeseries';
export type * from './schema';
// The collaborative rooms' wire constants, generated from schema/collab-protocol.constants.json.
export { COLLAB_CLOSE_CODE, COLLAB_MSG, COLLAB_SYNC } from './schema';

const plugins: JupyterFrontEndPlugin<any>[] = [clientPlugin, statusPlugin];

export default plugins;
