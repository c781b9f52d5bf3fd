namespace CamStudio.Engine.Imaging;

/// <summary>Continuous definitions t ∈ [0, 1] → sRGB in [0, 1] from which the lookup tables are built.</summary>
internal static class ColormapDefinitions
{
    /// <summary>
    /// matplotlib's jet (<c>_jet_data</c> in <c>matplotlib/_cm.py</c>): piecewise-linear in each channel between
    /// these control points, so it is exact rather than an approximation.
    /// </summary>
    public static (double R, double G, double B) Jet(double t) => (
        PiecewiseLinear(t, [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)]),
        PiecewiseLinear(t, [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)]),
        PiecewiseLinear(t, [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]));

    /// <summary>
    /// Viridis as a degree-6 polynomial per channel: Matt Zucker's ("mattz") least-squares fit to matplotlib's table
    /// (published on Shadertoy, CC0). Within about 2/255 of matplotlib's 256-entry table.
    /// </summary>
    public static (double R, double G, double B) Viridis(double t) => Polynomial(t,
        [0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486, 6.228269936347081, 4.776384997670288, -5.435455855934631],
        [0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509, -13.74514537774601, 4.645852612178535],
        [0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105, -65.35303263337234, 26.3124352495832]);

    /// <summary>Inferno, same source and form as <see cref="Viridis"/>; within about 4/255 of matplotlib's table.</summary>
    public static (double R, double G, double B) Inferno(double t) => Polynomial(t,
        [0.0002189403691192265, 0.1065134194856116, 11.60249308247187, -41.70399613139459, 77.162935699427, -71.31942824499214, 25.13112622477341],
        [0.001651004631001012, 0.5639564367884091, -3.972853965665698, 17.43639888205313, -33.40235894210092, 32.62606426397723, -12.24266895238567],
        [-0.01948089843709184, 3.932712388889277, -15.9423941062914, 44.35414519872813, -81.80730925738993, 73.20951985803202, -23.07032500287172]);

    /// <summary>
    /// Turbo (Mikhailov, Google 2019) as Google's published polynomial approximation (degree 5 per channel).
    /// </summary>
    public static (double R, double G, double B) Turbo(double t) => Polynomial(t,
        [0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943],
        [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604],
        [0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]);

    private static (double R, double G, double B) Polynomial(double t, double[] r, double[] g, double[] b) =>
        (Horner(t, r), Horner(t, g), Horner(t, b));

    /// <summary>Σ c[k]·t^k.</summary>
    private static double Horner(double t, double[] c)
    {
        double v = 0;
        for (int k = c.Length - 1; k >= 0; k--)
            v = v * t + c[k];
        return v;
    }

    private static double PiecewiseLinear(double t, (double X, double Y)[] points)
    {
        if (t <= points[0].X)
            return points[0].Y;
        for (int i = 1; i < points.Length; i++)
        {
            if (t <= points[i].X)
            {
                (double x0, double y0) = points[i - 1];
                (double x1, double y1) = points[i];
                return y0 + (y1 - y0) * (t - x0) / (x1 - x0);
            }
        }
        return points[^1].Y;
    }
}
