// A static export: the Spell server serves it at / (same origin: the session cookie and the
// CSRF token just work), or any CDN does with NEXT_PUBLIC_SPELL_API_URL pointing at the API.
/** @type {import('next').NextConfig} */
const config = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  poweredByHeader: false,
  productionBrowserSourceMaps: false,
};

export default config;
