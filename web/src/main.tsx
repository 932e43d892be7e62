import '@mantine/core/styles.css';
import '@mantine/dates/styles.css';
import '@mantine/charts/styles.css';
import './app.css';
import { createTheme, defaultVariantColorsResolver, MantineProvider, type CSSVariablesResolver, type VariantColorsResolver } from '@mantine/core';
import { DatesProvider } from '@mantine/dates';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App.tsx';
import { ApiError } from './lib/api.ts';

/** A hex colour with its channels scaled towards black by `amount` (0..1). */
const darken = (hex: string, amount: number) =>
  `#${[1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - amount)).toString(16).padStart(2, '0')).join('')}`;

/**
 * Text that reads at 4.5:1 or more (WCAG AA): dimmed text, and `--auditum-text-<color>` for
 * coloured text on light tints (badges, light buttons, JSON values), per colour scheme.
 */
const readableColors: CSSVariablesResolver = (t) => {
  const text = (pick: (shades: readonly string[]) => string) =>
    Object.fromEntries(Object.entries(t.colors).map(([name, shades]) => [`--auditum-text-${name}`, pick(shades)]));
  return {
    variables: {},
    light: { '--mantine-color-dimmed': t.colors.gray[7], ...text((shades) => darken(shades[9]!, 0.3)) },
    dark: { '--mantine-color-dimmed': t.colors.dark[1], ...text((shades) => shades[3]!) },
  };
};
/** Light, outline and subtle variants (badges, light buttons) with readable text (readableColors). */
const readableVariants: VariantColorsResolver = (input) => {
  const colors = defaultVariantColorsResolver(input);
  const color = input.color ?? input.theme.primaryColor;
  if (!(color in input.theme.colors) || !['light', 'outline', 'subtle'].includes(input.variant)) return colors;
  return { ...colors, color: `var(--auditum-text-${color})` };
};
const theme = createTheme({
  // Shade 8 and the light variants' text below keep text at 4.5:1 or more (WCAG AA) on every surface.
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 8 },
  variantColorResolver: readableVariants,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  respectReducedMotion: true,
});
const queryClient = new QueryClient({
  defaultOptions: {
    // Requests are made even when the browser says it is offline (it is often wrong, and a paused
    // query would show its skeleton forever); each is bounded in time and fails with a message.
    queries: {
      networkMode: 'always',
      retry: (count, error) => !(error instanceof ApiError && error.status > 0 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
    mutations: { networkMode: 'always' },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={readableColors}>
      <DatesProvider settings={{ firstDayOfWeek: 1 }}>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </QueryClientProvider>
      </DatesProvider>
    </MantineProvider>
  </StrictMode>,
);
