/**
 * Vega-Lite (v5) specifications rendered to SVG text in Node, headless: Vega's
 * SVG string renderer needs no canvas and no DOM. Used by the HTML reports, the
 * gradient-flow diagnostic and any task that wants a picture in a file.
 *
 *   const svg = await vegaLiteToSvg({
 *     data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
 *     mark: 'line',
 *     encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
 *   });
 *
 * Data must be inline (`data: { values: [...] }`): the loader refuses URLs and
 * files, so rendering never touches the network or the disk.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { UserError } from '../errors';

/** A Vega loader that loads nothing: reports must be self-contained. */
const offlineLoader = {
  ...vega.loader(),
  load: async (uri: string): Promise<string> => {
    throw new UserError(`report figure: data must be inline (data: { values: [...] }), not loaded from ${JSON.stringify(uri)}`);
  },
  // Image marks may show inline pictures (data:image/... URIs): nothing is fetched.
  sanitize: async (uri: string): Promise<{ href: string }> => {
    if (/^data:image\/(png|jpeg|gif|svg\+xml);base64,/.test(uri)) return { href: uri };
    throw new UserError(`report figure: data must be inline (data: { values: [...] }), not loaded from ${JSON.stringify(uri)}`);
  },
} as unknown as vega.Loader;

/** The first `url` of a data source anywhere in a compiled Vega spec (facets nest data in marks). */
function dataUrl(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const u = dataUrl(n);
      if (u !== undefined) return u;
    }
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o.data)) {
      for (const d of o.data) if (d !== null && typeof d === 'object' && 'url' in d) return String((d as { url: unknown }).url);
    }
    for (const v of Object.values(o)) {
      const u = dataUrl(v);
      if (u !== undefined) return u;
    }
  }
  return undefined;
}

/** Renders a Vega-Lite specification (inline data) to an SVG document string. */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  let vgSpec: vega.Spec;
  try {
    vgSpec = compile(spec as unknown as TopLevelSpec).spec;
  } catch (e) {
    throw new UserError(`report figure: invalid Vega-Lite specification: ${(e as Error).message}`);
  }
  const url = dataUrl(vgSpec);
  if (url !== undefined) throw new UserError(`report figure: data must be inline (data: { values: [...] }), not loaded from ${JSON.stringify(url)}`);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: offlineLoader, logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    return svg;
  } finally {
    view.finalize();
  }
}
