using System.Globalization;

namespace CamStudio.Engine.Cam;

/// <summary>
/// A number a method takes from the user (SS-CAM's noise samples, Faster Score-CAM's K, …), with its default and
/// the range the paper's method makes sense in. Front ends show it as a field; the engine parses and checks it once
/// (<see cref="MethodOptionValues.Resolve"/>).
/// </summary>
/// <param name="Name">Lower-case name used in requests (<c>samples</c>, <c>sigma</c>, <c>k</c>).</param>
/// <param name="Description">One line for people, saying the unit.</param>
/// <param name="Default">The value when the request gives none (the paper's or the reference library's).</param>
/// <param name="Min">Smallest allowed value.</param>
/// <param name="Max">Largest allowed value.</param>
/// <param name="IsInteger">True when only whole numbers make sense (counts, steps).</param>
public sealed record MethodOption(string Name, string Description, double Default, double Min, double Max, bool IsInteger = false)
{
    /// <summary>"a whole number from 1 to 1000" / "a number from 0 to 10", for error messages and help.</summary>
    public string RangeText => IsInteger
        ? $"a whole number from {Format(Min)} to {Format(Max)}"
        : $"a number from {Format(Min)} to {Format(Max)}";

    internal static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
