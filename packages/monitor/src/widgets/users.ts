import { formatBytes } from '@mlinfn/common';
import { formatPercentValue } from '../format';
import { Dom, MonitorView } from './view';

/**
 * The group view of a shared machine: GPU memory (and, where a user holds a GPU alone, its
 * utilisation) per user. Only names and amounts, never command lines. Hidden when the bridge
 * sends none (turned off by the site, or pids not visible).
 */
export class GroupView extends MonitorView {
  /**
   * Create the view.
   */
  constructor(options: MonitorView.IOptions) {
    super(options);
    this.addClass('jp-ResourcePanel-users');
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', this.trans.__('GPU use by user'));
    this.render();
  }

  /**
   * Render the table, or nothing.
   */
  render(): void {
    const node = this.node;
    node.textContent = '';
    const users = this.model.latest?.gpu.users ?? [];
    this.node.hidden = users.length === 0;
    if (!users.length) {
      return;
    }
    const trans = this.trans;
    node.append(
      Dom.el('h3', 'jp-ResourcePanel-heading', trans.__('GPU use by user'))
    );
    const table = Dom.el('table', 'jp-ResourcePanel-table');
    const head = Dom.el('tr', '');
    for (const label of [
      trans.__('User'),
      trans.__('GPU memory'),
      trans.__('On'),
      trans.__('Utilisation')
    ]) {
      const th = Dom.el('th', '', label);
      th.setAttribute('scope', 'col');
      head.append(th);
    }
    const thead = Dom.el('thead', '');
    const body = Dom.el('tbody', '');
    thead.append(head);
    table.append(thead, body);
    const sorted = [...users].sort((a, b) => b.memoryBytes - a.memoryBytes);
    for (const u of sorted) {
      const tr = Dom.el('tr', 'jp-ResourcePanel-user');
      const util = Dom.el(
        'td',
        '',
        u.utilizationPercent === null
          ? trans.__('shared GPU')
          : formatPercentValue(u.utilizationPercent)
      );
      if (u.utilizationPercent === null) {
        util.title = trans.__(
          'The driver gives no utilisation per process, so it is shown only for GPUs a user holds alone.'
        );
      }
      tr.append(
        Dom.el('td', '', u.user ?? trans.__('uid %1', u.uid)),
        Dom.el(
          'td',
          '',
          `${formatBytes(u.memoryBytes)} (${formatPercentValue(u.memoryShare * 100)})`
        ),
        Dom.el('td', '', u.devices.map(d => trans.__('GPU %1', d)).join(', ')),
        util
      );
      body.append(tr);
    }
    node.append(table);
  }
}
