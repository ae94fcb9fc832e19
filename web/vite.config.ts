/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The Python API gateway serves the built app at `/` and its API under `/api`.
// In `npm run dev`, forward `/api` (HTTP and WebSocket) to the local gateway.
const API_TARGET = process.env.CRYPTOPULSE_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: API_TARGET, changeOrigin: true, ws: true },
    },
  },
  preview: {
    proxy: {
      '/api': { target: API_TARGET, changeOrigin: true, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  test: {
    restoreMocks: true,
    // Logic tests (*.test.ts) run in Node; component tests (*.test.tsx) render into jsdom.
    projects: [
      { extends: true, test: { name: 'logic', environment: 'node', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'components',
          environment: 'jsdom',
          include: ['src/**/*.test.tsx'],
          setupFiles: ['src/test/setup.ts'],
          // Rendering and role queries in jsdom are slow on a busy machine; a slow test is not a failed one.
          testTimeout: 15_000,
        },
      },
    ],
  },
});
