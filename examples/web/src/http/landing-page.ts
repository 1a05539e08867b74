/** The landing page: a pitch and the sign-up form that posts to `/signup`. */
export function landingPage(page: 'home' | 'pricing'): string {
  const pitch = page === 'pricing' ? 'Basic $19, Pro $49 a month.' : 'Everything your team needs, in one place.';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Periscope Shop</title></head>
<body>
  <h1>Periscope Shop</h1>
  <p>${pitch}</p>
  <form method="post" action="/signup">
    <label>Email <input type="email" name="email" required></label>
    <select name="plan"><option value="basic">Basic</option><option value="pro">Pro</option></select>
    <input type="hidden" name="channel" value="direct">
    <button type="submit">Sign up</button>
  </form>
</body>
</html>
`;
}
