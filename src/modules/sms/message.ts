/** The text of the OTP message. Per-tenant, per-locale templates come with the vendor providers. */
export function otpMessage(vars: { appName: string; code: string; expiresInMinutes: number }): string {
  return `Your ${vars.appName} verification code is ${vars.code}. It expires in ${vars.expiresInMinutes} minutes. Do not share it.`;
}
