# Det som sendes på SMS og e-post, på organisasjonens språk. SMS er korte: hold dem slik.

exercise-prefix = ØVELSE: { $text }
alert-subject = Beredskap – { $org }
alert-acknowledge-link = Kvitter: { $link }
alert-answer-link = Svar { $options }: { $link }
contact-check-confirm-link = Bekreft: { $link }
alert-resolved = AVSLUTTET: { $message }
alert-cancelled = AVLYST: { $message }
contact-check-message = Beredskap kontrollerer at vi når deg i en krise. Bekreft med lenken at dette når deg.
sms-reply-acknowledge-help = Beredskap: svar med hvilken som helst tekst for å kvittere for varselet.
sms-reply-options-help = Beredskap: svaret ble ikke forstått. Svar { $options } (eller 1, 2 …).
sms-reply-ambiguous = Beredskap: du har varsler fra flere organisasjoner på dette nummeret, så svaret kunne ikke knyttes til noen av dem. Svar med lenken i varselet.
one-time-code-subject = Engangskode til Beredskap – { $org }
one-time-code = Engangskoden din til Beredskap ({ $org }): { $code }. Den gjelder i { $minutes } minutter. Har du ikke bedt om den? Se bort fra meldingen.
enrolment-subject = Aktiver kontoen din i Beredskap – { $org }
enrolment-mail =
    Hei { $name }!

    Du har fått en konto i Beredskap, { $org }s system for kommunikasjon og varsling når den vanlige IT-en ikke virker.

    Aktiver kontoen innen { $hours } timer:
    { $link }

    Lenken virker én gang. Hvis du ikke ventet denne meldingen, kan du se bort fra den.
enrolment-sms = Beredskap { $org }: aktiver kontoen din innen { $hours } t: { $link }
checkpoint-subject = Beredskap: kontrollpunkt for journalen – { $org }
checkpoint-mail =
    Dette er et signert kontrollpunkt for journalen til { $org } i Beredskap. Lagre meldingen der den ikke kan endres.

    Hvis journalen en dag trekkes i tvil: lagre teksten nedenfor som en fil og kjør
      beredskap journal verify --checkpoint FILEN
    Da ser du om databasen fortsatt har alt som fantes da kontrollpunktet ble signert.

    { $json }

# Activating a plan by SMS.
sms-activation-done = { $plan } er aktivert. Hendelsen: { $link }
sms-activation-refused = Ingen plan ble aktivert: nummeret, koden eller planens kortnavn stemmer ikke. Skriv AKTIVER, planens kortnavn og koden din.
sms-activation-locked = Ingen plan ble aktivert: for mange feil forsøk. Prøv igjen om { $minutes } minutter.
report-overdue = { $incident }: situasjonsrapporten er forsinket, den skulle ha kommet kl. { $due }.
offline-kit-subject = Beredskap: offline-sett – { $org }
offline-kit-mail = Her er offline-settet for { $org }: planene med tiltakskort, alarmnumrene, kontaktlisten og tjenestenes status, i en fil som åpnes uten nett. Lagre den på telefonen. Den inneholder private numre: oppbevar den som sensitiv informasjon.

# A press release's template: the communicator edits it before publishing.
press-title = { $org }: { $what }
press-exercise = ØVELSE – denne pressemeldingen er en del av en øvelse.
press-dateline = { $org }, { $date }
press-what = [Beskriv hva som har skjedd, hva det betyr for innbyggerne, og hva { $org } gjør.]
press-affects = Berørte tjenester: { $services }
press-reach = Slik når du oss mens forstyrrelsen pågår:
press-more = Oppdatert informasjon: { $url }
press-media = Kontakt for media: { $name }

# Abonnementer på statussidens meldinger (til innbyggere og samarbeidspartnere).
subscription-confirm-subject = Bekreft abonnementet ditt – { $org }
subscription-confirm = Bekreft at du vil få driftsmeldinger fra { $org }: { $link } Ba du ikke om det? Gjør ingenting, så glemmer vi adressen innen to døgn.
notice-mail-subject = { $org }: { $title } – { $phase }
notice-mail-heading = { $title }
    { $phase } · { $when }
notice-mail-more = Oppdatert informasjon: { $url }
notice-mail-footer = Du får dette fordi du abonnerer på driftsmeldinger fra { $org }. Avslutt og slett opplysningene dine: { $unsubscribe }
notice-sms = { $org }: { $title } – { $phase }. { $url } Avslutt: { $unsubscribe }

# An announcement sent out by SMS and email; the link shows all of it.
announcement-subject = Melding fra { $org }
announcement-confirm-link = Bekreft at du har lest den: svar OK eller åpne { $link }
