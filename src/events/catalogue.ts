import catalogue from './catalogue.json' with { type: 'json' };

/** The built-in categories; organizations may also use their own lowercase words. */
export const builtInCategories = ['agent', 'policy', 'user', 'security', 'system', 'data', 'configuration'] as const;

const categoryByType: Readonly<Record<string, string>> = catalogue.types;

/** The category of a known event type, else `other`. */
export function categoryFor(type: string): string {
  return categoryByType[type] ?? 'other';
}

/** Every catalogued type with its category, for the web page's grouped type picker. */
export function catalogueEntries(): Array<{ type: string; category: string }> {
  return Object.entries(categoryByType).map(([type, category]) => ({ type, category }));
}
