import { LabIcon } from '@jupyterlab/ui-components';

const BRIDGE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M2 15h20v2h-2v4h-2v-4H6v4H4v-4H2v-2zm2-2c2-4 5-6 8-6s6 2 8 6h-2.3C16 10.4 14.1 9 12 9s-4 1.4-5.7 4H4z"/>
  </g>
</svg>`;

/**
 * The icon of the mlinfn bridge (a bridge).
 */
export const bridgeIcon = new LabIcon({
  name: 'mlinfn:bridge',
  svgstr: BRIDGE_SVG
});
