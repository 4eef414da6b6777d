import '@mantine/core/styles.css';
import './portal.css';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ApiError } from './api/client';
import { theme } from './theme';

declare global {
  interface Window {
    /** Read by get-nonce, through which react-remove-scroll gives its <style> tag the CSP nonce. */
    __webpack_nonce__?: string;
  }
}

/** The nonce Sigil put in index.html for this response (a placeholder under Vite's dev server). */
const nonceMeta = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
const nonce = nonceMeta.startsWith('__') ? undefined : nonceMeta;
if (nonce) window.__webpack_nonce__ = nonce;

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // A 4xx will not change by asking again.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} getStyleNonce={() => nonce ?? ''}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
