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

    // Viridis, inferno and turbo are defined by published 256-entry tables (viridis/inferno: van der Walt & Smith's
    // matplotlib tables, CC0; turbo: Mikhailov's table, Google 2019, Apache-2.0). Here each channel is a Chebyshev
    // series in x = 2t − 1, fitted by least squares to those tables by us. Largest error over all 256 entries and
    // channels: viridis 0.39/255 (degree 13), inferno 0.86/255 (degree 19), turbo 1.0/255 (degree 17), so the
    // lookup tables match the published ones to within one 8-bit step. (Google's own degree-5 turbo polynomial is off
    // by up to 32/255 at the ends, and the well-known degree-6 viridis/inferno shader fits by up to 3 and 8.5/255.)

    public static (double R, double G, double B) Viridis(double t) => Chebyshev(t,
        [4.087239315e-01, 2.983158905e-01, 2.550543550e-01, 8.022111121e-02, -3.306994033e-02, -1.968317635e-02, -1.671464504e-03, 6.544016697e-03, 2.227723402e-03, -3.684528998e-03, -1.242963443e-03, 1.737861268e-03, 1.205681450e-03, -7.613777333e-04],
        [5.187125077e-01, 4.546685019e-01, -5.738901595e-02, -4.851875896e-03, -8.490447683e-03, 7.512352507e-04, 2.116370360e-03, 8.427092531e-04, -3.583115093e-04, 1.132912301e-04, 1.364344196e-04, -2.944593585e-04, 1.786919908e-04, -1.966347332e-04],
        [3.759169648e-01, -1.467206523e-01, -1.706011566e-01, 2.114242051e-02, 1.489386867e-02, 2.881978569e-02, 1.475561910e-02, 4.873510032e-03, 4.233819191e-03, 1.199966651e-03, -5.726370388e-04, -9.345452216e-04, -8.534091127e-04, -7.558493059e-04]);

    public static (double R, double G, double B) Inferno(double t) => Chebyshev(t,
        [5.907369142e-01, 5.320215891e-01, -1.323245917e-01, -5.037554520e-02, 2.028166939e-02, 8.658865830e-03, 1.384998866e-02, 1.198404172e-03, 3.431994599e-03, 2.683070456e-03, -2.322022361e-04, 1.209323596e-04, -3.766489683e-04, -7.251140468e-04, -2.211594065e-04, -2.631280695e-04, -3.957518165e-04, 1.676665180e-04, -2.123791418e-04, 9.956914278e-05],
        [3.770182544e-01, 4.996987227e-01, 1.458995722e-01, 6.244629671e-03, -1.915308292e-02, -6.695682948e-03, -6.102460376e-03, 3.742045790e-03, -1.000083345e-03, -4.412869376e-03, 3.597160197e-03, -1.234695408e-03, -1.676188004e-04, 1.530241946e-03, -1.149778373e-03, 6.106285079e-04, 3.487383543e-04, -6.440482937e-04, 5.393111336e-04, -2.425490433e-04],
        [2.809275387e-01, 1.076249148e-01, 6.530781660e-03, 2.305922959e-01, 5.041941111e-02, -2.699458701e-03, -1.035577725e-02, -2.349311004e-02, 1.682360778e-03, 4.295330314e-03, 2.928428213e-03, 2.578620548e-03, -4.454400894e-03, -4.450958413e-03, -1.381983898e-04, 6.170504778e-04, 3.185097493e-03, 1.143191520e-03, -3.310117900e-04, -1.114462400e-03]);

    public static (double R, double G, double B) Turbo(double t) => Chebyshev(t,
        [5.051617353e-01, 3.095173208e-01, -1.204969605e-01, -2.324941191e-01, -4.691764415e-02, 9.672945625e-02, -1.635494629e-02, -3.551150704e-02, 2.390922575e-02, 2.682009229e-03, -1.487688043e-02, 8.847417670e-03, 4.696079746e-03, -8.069699435e-03, 2.914920015e-04, 3.505439649e-03, -7.347775173e-04, -1.630144864e-03],
        [4.370245389e-01, -9.693448319e-02, -4.614700290e-01, 6.776422508e-02, 8.092814094e-02, 3.861966276e-03, -1.176414912e-02, -3.279536703e-03, -3.099565613e-03, 1.321869141e-04, 2.242326510e-03, 1.069455052e-03, 1.413162454e-03, -5.172389255e-04, -2.522466253e-03, -1.429317467e-04, 1.580898256e-03, 5.661763555e-04],
        [3.541971139e-01, -3.592143270e-01, -1.207772444e-01, 2.257074449e-01, -1.460987083e-01, 4.143298130e-02, 4.621320819e-02, -2.307369878e-02, -1.823400490e-02, 1.253714989e-03, 1.058468579e-02, 6.811126405e-03, -8.494932218e-03, -4.282377207e-03, 5.815937189e-03, 3.083650947e-04, -3.048809410e-03, 1.967891909e-03]);

    private static (double R, double G, double B) Chebyshev(double t, double[] r, double[] g, double[] b)
    {
        double x = 2 * Math.Clamp(t, 0, 1) - 1;
        return (Clenshaw(x, r), Clenshaw(x, g), Clenshaw(x, b));
    }

    /// <summary>Σ c[k]·T_k(x) by Clenshaw's recurrence.</summary>
    private static double Clenshaw(double x, double[] c)
    {
        double b1 = 0, b2 = 0;
        for (int k = c.Length - 1; k >= 1; k--)
            (b1, b2) = (2 * x * b1 - b2 + c[k], b1);
        return x * b1 - b2 + c[0];
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
