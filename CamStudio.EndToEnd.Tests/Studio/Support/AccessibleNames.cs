using Microsoft.Playwright;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// A small axe-style check of our own: every visible control (buttons, links, inputs, sliders, switches, comboboxes,
/// anything focusable by Tab) and every image must have an accessible name, computed roughly as a screen reader does
/// (aria-labelledby, aria-label, a label element, the content's text or an image's alt, title).
/// </summary>
public static class AccessibleNames
{
    private const string Script = """
        () => {
            const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !e.closest('[aria-hidden=true]'); };
            const text = e => (e.innerText || e.textContent || '').trim();
            const nameOf = e => {
                const by = e.getAttribute('aria-labelledby');
                if (by) { const t = by.split(/\s+/).map(id => document.getElementById(id)).filter(x => x).map(text).join(' ').trim(); if (t) return t; }
                const aria = (e.getAttribute('aria-label') || '').trim(); if (aria) return aria;
                if (e.id) { const l = document.querySelector(`label[for="${CSS.escape(e.id)}"]`); if (l && text(l)) return text(l); }
                const wrap = e.closest('label'); if (wrap && text(wrap)) return text(wrap);
                if (e.tagName === 'IMG') return (e.getAttribute('alt') || '').trim();
                if (!['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName)) {
                    const t = text(e); if (t) return t;
                    const img = e.querySelector('img[alt]'); if (img && img.alt.trim()) return img.alt.trim();
                }
                return (e.getAttribute('title') || '').trim();
            };
            const selector = 'button, a[href], input:not([type=hidden]), select, textarea, img, [role=button], [role=slider], [role=switch], [role=combobox], [role=checkbox], [role=tab], [tabindex]:not([tabindex="-1"])';
            const describe = e => e.outerHTML.slice(0, 160);
            return [...document.querySelectorAll(selector)]
                .filter(e => !e.disabled && (visible(e) || (e.tagName === 'INPUT' && visible(e.parentElement))))
                .filter(e => !nameOf(e))
                .map(describe);
        }
        """;

    /// <summary>The controls of the page without an accessible name (their HTML, cut), empty when all have one.</summary>
    public static async Task<IReadOnlyList<string>> UnnamedAsync(IPage page) => await page.EvaluateAsync<string[]>(Script);
}
