import { vegaLiteToSvg } from '../../src/report/svg';
import { UserError } from '../../src/errors';

describe('vegaLiteToSvg', () => {
  it('renders a line chart with inline data to an SVG document', async () => {
    const svg = await vegaLiteToSvg({
      width: 200,
      height: 100,
      data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }] },
      mark: 'line',
      encoding: { x: { field: 'x', type: 'quantitative', title: 'epochAxis' }, y: { field: 'y', type: 'quantitative' } },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('epochAxis');
    expect(svg).toMatch(/<path[^>]*d="M/); // the line itself
  });

  it('refuses data loaded from a URL (reports are offline)', async () => {
    await expect(
      vegaLiteToSvg({ data: { url: 'https://example.com/x.csv' }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } }),
    ).rejects.toThrow(/data must be inline/);
  });

  it('names an invalid specification as a user error', async () => {
    await expect(vegaLiteToSvg({ mark: 'nope' })).rejects.toBeInstanceOf(UserError);
  });
});
