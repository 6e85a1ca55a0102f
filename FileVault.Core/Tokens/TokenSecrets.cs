using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace FileVault.Core.Tokens;

/// <summary>Opaque bearer secrets: 256 random bits behind a prefix that says what they are; only their SHA-256 is stored.</summary>
public static class TokenSecrets
{
    public const string PersonalPrefix = "fvp_";
    public const string RefreshPrefix = "fvr_";

    public static string Create(string prefix) => prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
