using System.Resources;

// English is the neutral language and lives in the "en" satellite, so text rendered without a request culture
// (a background thread's invariant culture) is English rather than resource keys.
[assembly: NeutralResourcesLanguage("en", UltimateResourceFallbackLocation.Satellite)]

namespace FileVault.Web;

/// <summary>Marker type for the UI strings in Resources/SharedResource.{en,ko}.resx.</summary>
public sealed class SharedResource;
