// The root layout: system fonts only, so neither build nor page fetches anything remote.
import type { ReactNode } from "react";

export const metadata = { title: "Notes (authsvc example)" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", maxWidth: "40rem", margin: "2rem auto" }}>
        {children}
      </body>
    </html>
  );
}
