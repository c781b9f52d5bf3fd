using System.Security.Cryptography;
using System.Text;
using CamStudio.Web.Hosting;

namespace CamStudio.Web.Access;

/// <summary>
/// The code LAN viewers need (setting <c>CamStudio:AccessCode</c> or <c>--access-code</c>); generated at start
/// (<c>XXXX-XXXX</c>) when none is set. Codes are compared through their SHA-256 in constant time. A chosen code
/// has at least <see cref="MinLength"/> characters: with the per-address throttle (10 wrong codes a minute) a
/// short one would still be guessed in days.
/// </summary>
public sealed class AccessCode
{
    // No 0/O, 1/I/L: codes are read aloud and typed on phones.
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    public const int MinLength = 8;

    private readonly byte[] _digest;

    public AccessCode(string code, bool generated)
    {
        if (string.IsNullOrWhiteSpace(code))
            throw new ArgumentException("An access code cannot be empty.", nameof(code));
        if (code.Trim().Length < MinLength)
            throw new ArgumentException($"The access code must have at least {MinLength} characters (it has {code.Trim().Length}).", nameof(code));
        Code = code.Trim();
        Generated = generated;
        _digest = Digest(Code);
    }

    public string Code { get; }

    /// <summary>True when no code was configured and this one was made at start.</summary>
    public bool Generated { get; }

    public static AccessCode FromConfiguration(IConfiguration configuration)
    {
        string? configured = configuration["CamStudio:AccessCode"];
        if (string.IsNullOrWhiteSpace(configured))
            configured = configuration["access-code"]; // --access-code on the command line
        if (string.IsNullOrWhiteSpace(configured))
            return new AccessCode(Generate(), generated: true);
        if (configured.Trim().Length < MinLength)
            throw new StartupRefusedException(
                $"The access code set in CamStudio:AccessCode or --access-code has {configured.Trim().Length} characters; it needs at least {MinLength}. " +
                "Choose a longer one, or set none to get a generated code.");
        return new AccessCode(configured, generated: false);
    }

    public static string Generate()
    {
        Span<char> chars = stackalloc char[9];
        for (int i = 0; i < chars.Length; i++)
            chars[i] = i == 4 ? '-' : Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return new string(chars);
    }

    /// <summary>Constant-time check of a code typed or sent by a client (case and surrounding spaces ignored).</summary>
    public bool Matches(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Digest(candidate.Trim()), _digest);

    private static byte[] Digest(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code.ToUpperInvariant()));
}
