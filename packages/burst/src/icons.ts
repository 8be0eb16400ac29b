import { LabIcon } from '@jupyterlab/ui-components';
import burstSvg from '../style/icons/burst.svg';
import jobsSvg from '../style/icons/jobs.svg';

/**
 * The icon of "Run cell on…" (a cell going up to a cloud): the cell toolbar button, the
 * menus and the launcher tiles.
 */
export const burstIcon = new LabIcon({
  name: 'mlinfn:burst',
  svgstr: burstSvg
});

/**
 * The icon of the Jobs panel (a list of jobs).
 */
export const jobsIcon = new LabIcon({
  name: 'mlinfn:burst-jobs',
  svgstr: jobsSvg
});
