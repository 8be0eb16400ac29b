import { LabIcon } from '@jupyterlab/ui-components';
import dataSvg from '../style/icons/data.svg';

/**
 * The icon of the Data panel (a database cylinder), used by its sidebar tab, its settings
 * and its commands.
 */
export const dataIcon = new LabIcon({
  name: 'mlinfn:data',
  svgstr: dataSvg
});
