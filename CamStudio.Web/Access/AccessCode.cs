using System.Security.Cryptography;
using System.Text;

namespace CamStudio.Web.Access;

/// <summary>
/// The code LAN viewers need (setting <c>CamStudio:AccessCode</c> or <c>--access-code</c>); generated at start
/// (<c>XXXX-XXXX</c>) when none is set. Codes are compared through their SHA-256 in constant time.
/// </summary>
public sealed class AccessCode
{
    // No 0/O, 1/I/L: codes are read aloud and typed on phones.
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    private readonly byte[] _digest;

    public AccessCode(string code, bool generated)
    {
        if (string.IsNullOrWhiteSpace(code))
            throw new ArgumentException("An access code cannot be empty.", nameof(code));
        Code = code.Trim();
        Generated = generated;
        _digest = Digest(Code);
    }

    public string Code { get; }

    /// <summary>True when no code was configured and this one was made at start.</summary>
    public bool Generated { get; }

    /// <summary>The cookie value: a digest of the code, so the cookie never holds the code itself.</summary>
    public string CookieValue => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("camstudio-cookie:" + Code)));

    public static AccessCode FromConfiguration(IConfiguration configuration)
    {
        string? configured = configuration["CamStudio:AccessCode"];
        if (string.IsNullOrWhiteSpace(configured))
            configured = configuration["access-code"]; // --access-code on the command line
        return string.IsNullOrWhiteSpace(configured) ? new AccessCode(Generate(), generated: true) : new AccessCode(configured, generated: false);
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

    public bool MatchesCookie(string? cookie)
    {
        if (cookie is null)
            return false;
        byte[] expected = Encoding.ASCII.GetBytes(CookieValue);
        byte[] actual = Encoding.ASCII.GetBytes(cookie);
        return actual.Length == expected.Length && CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] Digest(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code.ToUpperInvariant()));
}
