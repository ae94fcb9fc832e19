/**
 * jsdom has the <dialog> element but not its modal behaviour (no showModal, no Escape). This adds
 * the part of the HTML standard our Dialog relies on, so the component runs as it does in a browser:
 *
 * - showModal() opens the dialog as modal and moves focus to its first focusable element;
 * - Escape is a close request: a cancelable `cancel` event, then close() unless it was cancelled;
 * - close() removes `open` and fires `close`.
 *
 * Deliberately left out: returning focus on close (the component does that itself, and its tests
 * check it) and making the page behind inert (the browser's job; `isModal` tells that it was asked).
 */

const modal = new WeakSet<HTMLDialogElement>();
const stack: HTMLDialogElement[] = [];

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Whether the dialog was opened with showModal() and is still open. */
export function isModal(dialog: HTMLDialogElement): boolean {
  return modal.has(dialog) && dialog.open;
}

function showModal(this: HTMLDialogElement): void {
  if (this.open) {
    if (modal.has(this)) return;
    throw new DOMException('The dialog is already open as a non-modal dialog.', 'InvalidStateError');
  }
  if (!this.isConnected) throw new DOMException('The dialog is not in a document.', 'InvalidStateError');
  this.setAttribute('open', '');
  modal.add(this);
  stack.push(this);
  const target = this.querySelector<HTMLElement>('[autofocus]') ?? this.querySelector<HTMLElement>(FOCUSABLE);
  target?.focus();
}

function close(this: HTMLDialogElement, returnValue?: string): void {
  if (!this.open) return;
  this.removeAttribute('open');
  modal.delete(this);
  const at = stack.indexOf(this);
  if (at >= 0) stack.splice(at, 1);
  if (returnValue !== undefined) this.returnValue = returnValue;
  this.dispatchEvent(new Event('close'));
}

function onKeyDown(event: KeyboardEvent): void {
  if (event.key !== 'Escape' || event.defaultPrevented) return;
  const top = [...stack].reverse().find((d) => d.isConnected && d.open);
  if (!top) return;
  const proceed = top.dispatchEvent(new Event('cancel', { cancelable: true }));
  if (proceed) top.close();
}

export function installModalDialog(): void {
  const proto = HTMLDialogElement.prototype as Partial<HTMLDialogElement>;
  if (typeof proto.showModal === 'function') return; // a DOM that has it already
  Object.assign(HTMLDialogElement.prototype, { showModal, close, show: showNonModal });
  document.addEventListener('keydown', onKeyDown);
}

function showNonModal(this: HTMLDialogElement): void {
  this.setAttribute('open', '');
}
