/** Setup for the component tests (jsdom): DOM matchers, a clean page per test, and the modal <dialog>. */
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { installModalDialog } from './dialog';

installModalDialog();
afterEach(cleanup);
