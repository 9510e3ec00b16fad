//! The words of the user interface in Swedish, Danish and English. A struct rather than a
//! key-value file, so a text missing in one language is a compile error, not a blank.

use crate::credentials::password::PasswordProblem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Sv,
    Da,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Sv, Lang::Da, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.get(..2)?.to_ascii_lowercase().as_str() {
            "sv" => Some(Lang::Sv),
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of our languages in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.trim()))
            .next()
    }

    /// The language's own name, for the language switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::Da => "Dansk",
            Lang::En => "English",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Sv => &SV,
            Lang::Da => &DA,
            Lang::En => &EN,
        }
    }
}

pub struct Texts {
    pub skip_to_content: &'static str,
    pub app_optional: &'static str,
    pub second_factor_missing: &'static str,
    pub one_time_link: &'static str,
    pub one_time_title: &'static str,
    pub one_time_intro: &'static str,
    pub send_code: &'static str,
    pub code_sent: &'static str,
    pub passkeys_title: &'static str,
    pub passkeys_intro: &'static str,
    pub passkey: &'static str,
    pub add_passkey: &'static str,
    pub use_passkey: &'static str,
    pub passkey_failed: &'static str,
    pub passkeys_need_script: &'static str,
    pub passkeys_unavailable: &'static str,
    pub no_passkeys: &'static str,
    pub last_used: &'static str,
    pub added: &'static str,
    pub language: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub organisation: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub new_password: &'static str,
    pub password_again: &'static str,
    pub wrong_credentials: &'static str,
    pub no_organisation: &'static str,
    pub second_factor_title: &'static str,
    pub second_factor_intro: &'static str,
    pub code: &'static str,
    pub verify: &'static str,
    pub wrong_code: &'static str,
    pub too_many_attempts: &'static str,
    /// `{minutes}` is replaced by the wait.
    pub throttled: &'static str,
    pub enrol_title: &'static str,
    pub enrol_intro: &'static str,
    pub enrol_step_password: &'static str,
    pub password_hint: &'static str,
    pub enrol_step_app: &'static str,
    pub app_hint: &'static str,
    pub secret_by_hand: &'static str,
    pub app_code: &'static str,
    pub app_code_hint: &'static str,
    pub enrol_button: &'static str,
    pub passwords_differ: &'static str,
    pub wrong_app_code: &'static str,
    pub link_unknown: &'static str,
    pub link_used: &'static str,
    pub link_expired: &'static str,
    pub recovery_title: &'static str,
    pub recovery_intro: &'static str,
    pub continue_to_sign_in: &'static str,
    pub home_title: &'static str,
    pub signed_in_as: &'static str,
    pub role: &'static str,
    pub sessions_title: &'static str,
    pub sessions_intro: &'static str,
    pub this_session: &'static str,
    pub started: &'static str,
    pub last_seen: &'static str,
    pub device: &'static str,
    pub end_session: &'static str,
    pub form_expired: &'static str,
    pub not_found: &'static str,
    pub forbidden: &'static str,
    pub server_error: &'static str,
    pub unavailable: &'static str,
    pub invalid_input: &'static str,
    pub back_to_start: &'static str,
    pub role_admin: &'static str,
    pub role_crisis_lead: &'static str,
    pub role_member: &'static str,
    pub role_guest: &'static str,
    pub password_too_short: &'static str,
    pub password_too_long: &'static str,
    pub password_common: &'static str,
    pub password_contains_name: &'static str,
    pub password_monotonous: &'static str,
}

impl Texts {
    pub fn password_problem(&self, problem: &PasswordProblem) -> &'static str {
        match problem {
            PasswordProblem::TooShort => self.password_too_short,
            PasswordProblem::TooLong => self.password_too_long,
            PasswordProblem::Common => self.password_common,
            PasswordProblem::ContainsName => self.password_contains_name,
            PasswordProblem::Monotonous => self.password_monotonous,
        }
    }

    pub fn throttled_for(&self, wait: chrono::Duration) -> String {
        let minutes = (wait.num_seconds() + 59) / 60;
        self.throttled
            .replace("{minutes}", &minutes.max(1).to_string())
    }

    pub fn role(&self, role: beredskap_core::register::Role) -> &'static str {
        use beredskap_core::register::Role;
        match role {
            Role::Admin => self.role_admin,
            Role::CrisisLead => self.role_crisis_lead,
            Role::Member => self.role_member,
            Role::Guest => self.role_guest,
        }
    }
}

pub static SV: Texts = Texts {
    skip_to_content: "Hoppa till innehållet",
    app_optional: "Valfritt i din organisation. Lämna fältet tomt om du hoppar över appen; en app eller en nyckel skyddar kontot om lösenordet läcker.",
    second_factor_missing: "Ditt konto behöver en autentiseringsapp eller nyckel. Be en administratör om en ny aktiveringslänk.",
    one_time_link: "Har du inte aktiverat ditt konto? Logga in med en engångskod",
    one_time_title: "Logga in med en engångskod",
    one_time_intro: "Om ditt konto inte är aktiverat och organisationen tillåter det skickas en kod med SMS eller till din privata e-postadress.",
    send_code: "Skicka kod",
    code_sent: "Om adressen hör till ett konto som får använda engångskoder har en kod skickats. Den gäller i 10 minuter.",
    passkeys_title: "Nycklar (passkeys)",
    passkeys_intro: "En nyckel i telefonen, datorn eller en säkerhetsnyckel kan inte lockas ut av en falsk inloggningssida. Använd den i stället för koden från appen.",
    passkey: "Nyckel",
    add_passkey: "Lägg till en nyckel",
    use_passkey: "Använd en nyckel (passkey)",
    passkey_failed: "Nyckeln kunde inte användas. Försök igen, eller skriv en kod.",
    passkeys_need_script: "Att lägga till en nyckel kräver JavaScript i webbläsaren.",
    passkeys_unavailable: "Nycklar kan inte användas på den här servern: den nås inte via ett domännamn.",
    no_passkeys: "Du har inga nycklar ännu.",
    last_used: "Senast använd",
    added: "Tillagd",
    language: "Språk",
    sign_in: "Logga in",
    sign_out: "Logga ut",
    organisation: "Organisation",
    email: "E-postadress",
    password: "Lösenord",
    new_password: "Nytt lösenord",
    password_again: "Lösenordet igen",
    wrong_credentials: "Fel e-postadress eller lösenord.",
    no_organisation: "Det finns ingen organisation ännu. En administratör skapar en med beredskap admin create-org.",
    second_factor_title: "Bekräfta att det är du",
    second_factor_intro: "Skriv koden som visas i din autentiseringsapp, eller en av dina utskrivna återställningskoder.",
    code: "Kod",
    verify: "Fortsätt",
    wrong_code: "Koden stämmer inte. Vänta på nästa kod i appen och försök igen.",
    too_many_attempts: "För många felaktiga försök. Logga in igen från början.",
    throttled: "För många misslyckade inloggningar. Inloggningen är spärrad i {minutes} min. Försök igen sedan, eller kontakta en administratör.",
    enrol_title: "Aktivera ditt konto",
    enrol_intro: "Välj ett lösenord och koppla en autentiseringsapp. Båda behövs för att logga in, även när organisationens e-post och inloggning inte fungerar.",
    enrol_step_password: "1. Välj lösenord",
    password_hint: "Minst 12 tecken. Några ord som inte hör ihop blir ett bra lösenord, till exempel ”blåbär cykel regnjacka”.",
    enrol_step_app: "2. Koppla en autentiseringsapp",
    app_hint: "Skanna QR-koden med Microsoft Authenticator, Google Authenticator eller en liknande app.",
    secret_by_hand: "Går det inte att skanna? Skriv in den här nyckeln i appen:",
    app_code: "Koden som appen visar",
    app_code_hint: "Sex siffror.",
    enrol_button: "Aktivera kontot",
    passwords_differ: "Lösenorden är inte likadana.",
    wrong_app_code: "Koden stämmer inte. Kontrollera att appen visar Beredskap och skriv den senaste koden.",
    link_unknown: "Länken är inte giltig. Be en administratör om en ny.",
    link_used: "Länken har redan använts. Logga in, eller be en administratör om en ny länk.",
    link_expired: "Länken har gått ut. Be en administratör om en ny.",
    recovery_title: "Dina återställningskoder",
    recovery_intro: "Skriv ut eller skriv av koderna och förvara dem säkert. Varje kod kan användas en gång om du inte har tillgång till appen. De visas bara nu.",
    continue_to_sign_in: "Fortsätt till inloggningen",
    home_title: "Start",
    signed_in_as: "Inloggad som",
    role: "Roll",
    sessions_title: "Inloggade enheter",
    sessions_intro: "Här är de enheter där du är inloggad. Logga ut en enhet du inte känner igen.",
    this_session: "Den här enheten",
    started: "Inloggad",
    last_seen: "Senast aktiv",
    device: "Enhet",
    end_session: "Logga ut enheten",
    form_expired: "Formuläret har gått ut. Ladda om sidan och försök igen.",
    not_found: "Sidan finns inte.",
    forbidden: "Du har inte behörighet till det här.",
    server_error: "Något gick fel på servern. Felet är loggat.",
    unavailable: "Tjänsten är tillfälligt otillgänglig. Försök igen om en stund.",
    invalid_input: "Något i formuläret behöver rättas.",
    back_to_start: "Till startsidan",
    role_admin: "Administratör",
    role_crisis_lead: "Krisledare",
    role_member: "Medarbetare",
    role_guest: "Gäst",
    password_too_short: "Lösenordet måste ha minst 12 tecken. Några ord som inte hör ihop blir ett bra lösenord.",
    password_too_long: "Lösenordet får ha högst 256 tecken.",
    password_common: "Lösenordet är för lätt att gissa: ett vanligt ord med siffror eller tecken.",
    password_contains_name: "Lösenordet får inte innehålla ditt namn eller din e-postadress.",
    password_monotonous: "Lösenordet har för få olika tecken.",
};

pub static DA: Texts = Texts {
    skip_to_content: "Spring til indholdet",
    app_optional: "Valgfrit i din organisation. Lad feltet stå tomt, hvis du springer appen over; en app eller en adgangsnøgle beskytter kontoen, hvis adgangskoden lækker.",
    second_factor_missing: "Din konto skal have en godkendelsesapp eller adgangsnøgle. Bed en administrator om et nyt aktiveringslink.",
    one_time_link: "Har du ikke aktiveret din konto? Log ind med en engangskode",
    one_time_title: "Log ind med en engangskode",
    one_time_intro: "Hvis din konto ikke er aktiveret, og organisationen tillader det, sendes en kode med SMS eller til din private e-mailadresse.",
    send_code: "Send kode",
    code_sent: "Hvis adressen hører til en konto, der må bruge engangskoder, er en kode sendt. Den gælder i 10 minutter.",
    passkeys_title: "Adgangsnøgler (passkeys)",
    passkeys_intro: "En adgangsnøgle i telefonen, computeren eller en sikkerhedsnøgle kan ikke lokkes ud af en falsk login-side. Brug den i stedet for koden fra appen.",
    passkey: "Adgangsnøgle",
    add_passkey: "Tilføj en adgangsnøgle",
    use_passkey: "Brug en adgangsnøgle (passkey)",
    passkey_failed: "Adgangsnøglen kunne ikke bruges. Prøv igen, eller skriv en kode.",
    passkeys_need_script: "Det kræver JavaScript i browseren at tilføje en adgangsnøgle.",
    passkeys_unavailable: "Adgangsnøgler kan ikke bruges på denne server: den nås ikke via et domænenavn.",
    no_passkeys: "Du har ingen adgangsnøgler endnu.",
    last_used: "Sidst brugt",
    added: "Tilføjet",
    language: "Sprog",
    sign_in: "Log ind",
    sign_out: "Log ud",
    organisation: "Organisation",
    email: "E-mailadresse",
    password: "Adgangskode",
    new_password: "Ny adgangskode",
    password_again: "Adgangskoden igen",
    wrong_credentials: "Forkert e-mailadresse eller adgangskode.",
    no_organisation: "Der er ingen organisation endnu. En administrator opretter en med beredskap admin create-org.",
    second_factor_title: "Bekræft at det er dig",
    second_factor_intro: "Skriv koden fra din godkendelsesapp eller en af dine udskrevne gendannelseskoder.",
    code: "Kode",
    verify: "Fortsæt",
    wrong_code: "Koden passer ikke. Vent på den næste kode i appen, og prøv igen.",
    too_many_attempts: "For mange forkerte forsøg. Log ind igen fra begyndelsen.",
    throttled: "For mange mislykkede login. Login er spærret i {minutes} min. Prøv igen derefter, eller kontakt en administrator.",
    enrol_title: "Aktivér din konto",
    enrol_intro: "Vælg en adgangskode, og tilknyt en godkendelsesapp. Begge skal bruges for at logge ind, også når organisationens e-mail og login ikke virker.",
    enrol_step_password: "1. Vælg adgangskode",
    password_hint: "Mindst 12 tegn. Nogle ord, der ikke hører sammen, giver en god adgangskode, for eksempel »blåbær cykel regnjakke«.",
    enrol_step_app: "2. Tilknyt en godkendelsesapp",
    app_hint: "Scan QR-koden med Microsoft Authenticator, Google Authenticator eller en lignende app.",
    secret_by_hand: "Kan du ikke scanne? Skriv denne nøgle ind i appen:",
    app_code: "Koden, som appen viser",
    app_code_hint: "Seks cifre.",
    enrol_button: "Aktivér kontoen",
    passwords_differ: "Adgangskoderne er ikke ens.",
    wrong_app_code: "Koden passer ikke. Kontrollér, at appen viser Beredskap, og skriv den nyeste kode.",
    link_unknown: "Linket er ikke gyldigt. Bed en administrator om et nyt.",
    link_used: "Linket er allerede brugt. Log ind, eller bed en administrator om et nyt link.",
    link_expired: "Linket er udløbet. Bed en administrator om et nyt.",
    recovery_title: "Dine gendannelseskoder",
    recovery_intro: "Udskriv eller skriv koderne af, og opbevar dem sikkert. Hver kode kan bruges én gang, hvis du ikke har adgang til appen. De vises kun nu.",
    continue_to_sign_in: "Fortsæt til login",
    home_title: "Forside",
    signed_in_as: "Logget ind som",
    role: "Rolle",
    sessions_title: "Enheder, hvor du er logget ind",
    sessions_intro: "Her er de enheder, hvor du er logget ind. Log en enhed ud, som du ikke genkender.",
    this_session: "Denne enhed",
    started: "Logget ind",
    last_seen: "Sidst aktiv",
    device: "Enhed",
    end_session: "Log enheden ud",
    form_expired: "Formularen er udløbet. Genindlæs siden, og prøv igen.",
    not_found: "Siden findes ikke.",
    forbidden: "Du har ikke adgang til dette.",
    server_error: "Noget gik galt på serveren. Fejlen er logget.",
    unavailable: "Tjenesten er midlertidigt utilgængelig. Prøv igen om lidt.",
    invalid_input: "Noget i formularen skal rettes.",
    back_to_start: "Til forsiden",
    role_admin: "Administrator",
    role_crisis_lead: "Krisestabsleder",
    role_member: "Medarbejder",
    role_guest: "Gæst",
    password_too_short: "Adgangskoden skal have mindst 12 tegn. Nogle ord, der ikke hører sammen, giver en god adgangskode.",
    password_too_long: "Adgangskoden må højst have 256 tegn.",
    password_common: "Adgangskoden er for let at gætte: et almindeligt ord med tal eller tegn.",
    password_contains_name: "Adgangskoden må ikke indeholde dit navn eller din e-mailadresse.",
    password_monotonous: "Adgangskoden har for få forskellige tegn.",
};

pub static EN: Texts = Texts {
    skip_to_content: "Skip to content",
    app_optional: "Optional in your organisation. Leave the field empty to skip the app; an app or a passkey protects the account if the password leaks.",
    second_factor_missing: "Your account needs an authenticator app or a passkey. Ask an administrator for a new activation link.",
    one_time_link: "Not activated your account yet? Sign in with a one-time code",
    one_time_title: "Sign in with a one-time code",
    one_time_intro: "If your account is not activated and your organisation allows it, a code is sent by SMS or to your private email address.",
    send_code: "Send a code",
    code_sent: "If the address belongs to an account that may use one-time codes, a code has been sent. It is valid for 10 minutes.",
    passkeys_title: "Passkeys",
    passkeys_intro: "A passkey on your phone, computer or a security key cannot be tricked out of you by a fake sign-in page. Use it instead of the code from the app.",
    passkey: "Passkey",
    add_passkey: "Add a passkey",
    use_passkey: "Use a passkey",
    passkey_failed: "The passkey could not be used. Try again, or type a code.",
    passkeys_need_script: "Adding a passkey needs JavaScript in the browser.",
    passkeys_unavailable: "Passkeys cannot be used on this server: it is not reached by a domain name.",
    no_passkeys: "You have no passkeys yet.",
    last_used: "Last used",
    added: "Added",
    language: "Language",
    sign_in: "Sign in",
    sign_out: "Sign out",
    organisation: "Organisation",
    email: "Email address",
    password: "Password",
    new_password: "New password",
    password_again: "Password again",
    wrong_credentials: "Wrong email address or password.",
    no_organisation: "There is no organisation yet. An administrator creates one with beredskap admin create-org.",
    second_factor_title: "Confirm it is you",
    second_factor_intro: "Type the code shown in your authenticator app, or one of your printed recovery codes.",
    code: "Code",
    verify: "Continue",
    wrong_code: "The code is not right. Wait for the next code in the app and try again.",
    too_many_attempts: "Too many wrong attempts. Sign in again from the start.",
    throttled: "Too many failed sign-ins. Signing in is blocked for {minutes} min. Try again then, or contact an administrator.",
    enrol_title: "Activate your account",
    enrol_intro: "Choose a password and connect an authenticator app. You need both to sign in, also when the organisation's own email and sign-in are down.",
    enrol_step_password: "1. Choose a password",
    password_hint: "At least 12 characters. A few unrelated words make a good password, for example “blueberry bicycle raincoat”.",
    enrol_step_app: "2. Connect an authenticator app",
    app_hint: "Scan the QR code with Microsoft Authenticator, Google Authenticator or a similar app.",
    secret_by_hand: "Cannot scan? Type this key into the app:",
    app_code: "The code the app shows",
    app_code_hint: "Six digits.",
    enrol_button: "Activate the account",
    passwords_differ: "The passwords are not the same.",
    wrong_app_code: "The code is not right. Check that the app shows Beredskap and type the latest code.",
    link_unknown: "The link is not valid. Ask an administrator for a new one.",
    link_used: "The link has already been used. Sign in, or ask an administrator for a new link.",
    link_expired: "The link has expired. Ask an administrator for a new one.",
    recovery_title: "Your recovery codes",
    recovery_intro: "Print or copy these codes and keep them safe. Each code works once if you cannot use the app. They are shown only now.",
    continue_to_sign_in: "Continue to sign in",
    home_title: "Home",
    signed_in_as: "Signed in as",
    role: "Role",
    sessions_title: "Signed-in devices",
    sessions_intro: "These are the devices where you are signed in. Sign out a device you do not recognise.",
    this_session: "This device",
    started: "Signed in",
    last_seen: "Last active",
    device: "Device",
    end_session: "Sign out the device",
    form_expired: "The form has expired. Reload the page and try again.",
    not_found: "The page does not exist.",
    forbidden: "You are not allowed to do this.",
    server_error: "Something went wrong on the server. It has been logged.",
    unavailable: "The service is temporarily unavailable. Try again shortly.",
    invalid_input: "Something in the form needs correcting.",
    back_to_start: "To the start page",
    role_admin: "Administrator",
    role_crisis_lead: "Crisis lead",
    role_member: "Member",
    role_guest: "Guest",
    password_too_short: "The password needs at least 12 characters. A few unrelated words make a good password.",
    password_too_long: "The password may have at most 256 characters.",
    password_common: "The password is too easy to guess: a common word with numbers or symbols.",
    password_contains_name: "The password must not contain your name or email address.",
    password_monotonous: "The password uses too few different characters.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_chosen_from_query_cookie_or_browser() {
        assert_eq!(
            Lang::from_accept_language("de-DE,da;q=0.9,en;q=0.8"),
            Some(Lang::Da)
        );
        assert_eq!(Lang::from_accept_language("sv-SE"), Some(Lang::Sv));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
    }
}
