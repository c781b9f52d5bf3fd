using System.Globalization;

namespace CamStudio.Engine.Cam;

/// <summary>The checked values of one method's <see cref="ICamMethod.Options"/>: every declared option, defaults filled in.</summary>
public sealed class MethodOptionValues
{
    private readonly Dictionary<string, double> _values;

    private MethodOptionValues(Dictionary<string, double> values) => _values = values;

    /// <summary>Every option at its default.</summary>
    public static MethodOptionValues Defaults(IEnumerable<MethodOption> options) =>
        new(options.ToDictionary(o => o.Name, o => o.Default, StringComparer.OrdinalIgnoreCase));

    /// <summary>The value of option <paramref name="name"/> (declared by the method; anything else is a bug).</summary>
    public double this[string name] => _values.TryGetValue(name, out double v) ? v
        : throw new KeyNotFoundException($"Option '{name}' is not declared by this method.");

    /// <summary>The value of a whole-number option.</summary>
    public int Int(string name) => checked((int)this[name]);

    /// <summary>True when every option has its default value.</summary>
    public bool AreDefaults(IEnumerable<MethodOption> options) => options.All(o => this[o.Name] == o.Default);

    /// <summary>"k=64, samples=35": the values that differ from the defaults, for captions and logs.</summary>
    public string Describe(IEnumerable<MethodOption> options) =>
        string.Join(", ", options.Where(o => this[o.Name] != o.Default).Select(o => $"{o.Name}={MethodOption.Format(this[o.Name])}"));

    /// <summary>
    /// Parses the values <paramref name="given"/> for <paramref name="methodId"/>'s <paramref name="options"/>: a key
    /// <c>name</c> applies to every method declaring it, <c>method.name</c> only to that method (and wins). A value that
    /// is not a number, not whole where it must be, or out of range throws <see cref="FormatException"/> with a message
    /// for people.
    /// </summary>
    public static MethodOptionValues Resolve(string methodId, IReadOnlyList<MethodOption> options, IReadOnlyDictionary<string, string> given)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(given);
        var values = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (MethodOption option in options)
        {
            string? text = Lookup(given, $"{methodId}.{option.Name}") ?? Lookup(given, option.Name);
            values[option.Name] = text is null ? option.Default : Parse(methodId, option, text);
        }
        return new MethodOptionValues(values);
    }

    private static string? Lookup(IReadOnlyDictionary<string, string> given, string key) =>
        given.FirstOrDefault(p => string.Equals(p.Key.Trim(), key, StringComparison.OrdinalIgnoreCase)).Value;

    private static double Parse(string methodId, MethodOption option, string text)
    {
        bool ok = double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                  && double.IsFinite(value) && value >= option.Min && value <= option.Max
                  && (!option.IsInteger || value == Math.Floor(value));
        return ok ? value : throw new FormatException(
            $"Option '{option.Name}' of {methodId} must be {option.RangeText} ({option.Description}); got '{text}'.");
    }
}
