import { createTheme } from '@mantine/core';

/** Mantine's defaults, with the primary colour dark enough for AA contrast on white (axe checks it). */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  defaultRadius: 'sm',
});
