import { ProgressBars } from '@mlinfn/common';
import { describeError } from '../errors';
import { UploadModel } from '../models/upload';
import { Dom } from './dom';
import { DataView } from './view';

/**
 * The uploads of this page: a progress bar each (amount, rate, time left), the parts done,
 * and resume or cancel.
 */
export class UploadsSection extends DataView {
  /**
   * Create the section.
   */
  constructor(options: DataView.IOptions) {
    super(options);
    this.addClass('jp-DataPanel-section');
    this.addClass('jp-DataUploads');
    this.node.setAttribute('aria-label', this.trans.__('Uploads'));
    this.watch(this.model.changed);
    this.render();
  }

  /**
   * Dispose of the section and its bars.
   */
  dispose(): void {
    this._bars.dispose();
    super.dispose();
  }

  /**
   * Render the uploads.
   */
  render(): void {
    const uploads = this.model.uploads;
    const trans = this.trans;
    // A class, not setHidden(): a hidden widget would stop rendering its updates.
    this.toggleClass('jp-mod-empty', uploads.length === 0);
    // Progress bars live as long as their upload: they update themselves.
    this._bars.prune(upload => uploads.includes(upload));
    const node = this.node;
    node.replaceChildren(
      Dom.el('h3', 'jp-DataPanel-heading', trans.__('Uploads'))
    );
    for (const upload of uploads) {
      node.append(this._item(upload));
    }
  }

  private _item(upload: UploadModel): HTMLElement {
    const trans = this.trans;
    const item = Dom.el('div', `jp-DataUploads-item jp-mod-${upload.state}`);
    item.dataset.key = upload.key;
    item.dataset.state = upload.state;
    item.append(this._bars.get(upload, upload.progress).node);
    const total = upload.parts.length;
    const status = Dom.el('div', 'jp-DataUploads-status');
    const states: Record<string, string> = {
      starting: trans.__('starting'),
      uploading: trans.__('uploading'),
      completing: trans.__('assembling the object'),
      failed: trans.__('stopped'),
      done: trans.__('uploaded'),
      cancelled: trans.__('cancelled')
    };
    const parts = total
      ? trans.__('%1 of %2 parts', upload.doneParts, total)
      : '';
    const mode =
      upload.mode === 'bridge'
        ? trans.__('through the bridge')
        : upload.mode === 'browser'
          ? trans.__('straight to storage')
          : '';
    status.textContent = [states[upload.state], parts, mode]
      .filter(Boolean)
      .join(' · ');
    if (upload.mode === 'bridge' && upload.modeReason) {
      status.title = upload.modeReason;
    }
    item.append(status);
    if (upload.state === 'failed') {
      item.append(
        Dom.error(describeError(upload.error, trans), trans, {
          retry: () => void upload.resume()
        })
      );
    }
    const actions = Dom.el('div', 'jp-DataPanel-actions');
    if (
      upload.state === 'uploading' ||
      upload.state === 'starting' ||
      upload.state === 'failed'
    ) {
      actions.append(
        Dom.button(trans.__('Cancel'), () => void upload.cancel(), {
          className: 'jp-DataUploads-cancel'
        })
      );
    }
    if (
      upload.state === 'done' ||
      upload.state === 'cancelled' ||
      upload.state === 'failed'
    ) {
      actions.append(
        Dom.button(
          trans.__('Dismiss'),
          () => this.model.dismissUpload(upload),
          {
            className: 'jp-DataUploads-dismiss'
          }
        )
      );
    }
    item.append(actions);
    return item;
  }

  private _bars = new ProgressBars<UploadModel>(this.translator);
}
