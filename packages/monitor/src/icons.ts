import { LabIcon } from '@jupyterlab/ui-components';
import resourcesSvg from '../style/icons/resources.svg';

/**
 * The icon of the resource monitor (a line chart), used by the sidebar tab, the launcher tile
 * and the commands.
 */
export const resourcesIcon = new LabIcon({
  name: 'mlinfn:resources',
  svgstr: resourcesSvg
});
