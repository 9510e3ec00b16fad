# Det, der sendes med sms og e-mail, på organisationens sprog. Sms er korte: hold dem sådan.

exercise-prefix = ØVELSE: { $text }
alert-subject = Beredskap – { $org }
alert-acknowledge-link = Kvittér: { $link }
alert-answer-link = Svar { $options }: { $link }
contact-check-confirm-link = Bekræft: { $link }
alert-resolved = AFSLUTTET: { $message }
alert-cancelled = ANNULLERET: { $message }
contact-check-message = Beredskap kontrollerer, at vi kan nå dig i en krise. Bekræft med linket, at dette når dig.
sms-reply-acknowledge-help = Beredskap: svar med en vilkårlig tekst for at kvittere alarmen.
sms-reply-options-help = Beredskap: svaret blev ikke forstået. Svar { $options } (eller 1, 2 …).
sms-reply-ambiguous = Beredskap: du har alarmer fra flere organisationer på dette nummer, så svaret kunne ikke knyttes til nogen af dem. Svar med linket i alarmen.
one-time-code-subject = Engangskode til Beredskap – { $org }
one-time-code = Din engangskode til Beredskap ({ $org }): { $code }. Den gælder i { $minutes } minutter. Har du ikke bedt om den? Se bort fra beskeden.
enrolment-subject = Aktivér din konto i Beredskap – { $org }
enrolment-mail =
    Hej { $name }!

    Du har fået en konto i Beredskap, { $org }s system til kommunikation og alarmering, når den almindelige IT ikke virker.

    Aktivér kontoen inden for { $hours } timer:
    { $link }

    Linket virker én gang. Hvis du ikke ventede denne besked, kan du se bort fra den.
enrolment-sms = Beredskap { $org }: aktivér din konto inden for { $hours } t: { $link }
checkpoint-subject = Beredskap: kontrolpunkt for journalen – { $org }
checkpoint-mail =
    Dette er et signeret kontrolpunkt for { $org }s journal i Beredskap. Gem beskeden, hvor den ikke kan ændres.

    Hvis journalen en dag drages i tvivl: gem teksten nedenfor som en fil og kør
      beredskap journal verify --checkpoint FILEN
    Så ses det, om databasen stadig har alt, hvad der fandtes, da kontrolpunktet blev signeret.

    { $json }

# Activating a plan by SMS.
sms-activation-done = { $plan } er aktiveret. Hændelsen: { $link }
sms-activation-refused = Ingen plan blev aktiveret: nummeret, koden eller planens kortnavn passer ikke. Skriv AKTIVER, planens kortnavn og din kode.
sms-activation-locked = Ingen plan blev aktiveret: for mange forkerte forsøg. Prøv igen om { $minutes } minutter.
report-overdue = { $incident }: situationsrapporten er forsinket, den skulle være kommet kl. { $due }.
offline-kit-subject = Beredskap: offline-kit – { $org }
offline-kit-mail = Her er offline-kittet for { $org }: planerne med actionkort, alarmnumrene, kontaktlisten og tjenesternes status, i en fil, der åbnes uden net. Gem den på telefonen. Den indeholder private numre: opbevar den som følsomme oplysninger.

# A press release's template: the communicator edits it before publishing.
press-title = { $org }: { $what }
press-exercise = ØVELSE – denne pressemeddelelse er en del af en øvelse.
press-dateline = { $org }, { $date }
press-what = [Beskriv, hvad der er sket, hvad det betyder for borgerne, og hvad { $org } gør.]
press-affects = Berørte tjenester: { $services }
press-reach = Sådan når du os, mens forstyrrelsen varer:
press-more = Aktuel information: { $url }
press-media = Kontakt for medier: { $name }

# Abonnementer på statussidens meddelelser (til borgere og samarbejdspartnere).
subscription-confirm-subject = Bekræft dit abonnement – { $org }
subscription-confirm = Bekræft, at du vil have driftsmeddelelser fra { $org }: { $link } Bad du ikke om det? Gør ingenting, så glemmer vi adressen inden for to døgn.
notice-mail-subject = { $org }: { $title } – { $phase }
notice-mail-heading = { $title }
    { $phase } · { $when }
notice-mail-more = Aktuel information: { $url }
notice-mail-footer = Du får dette, fordi du abonnerer på driftsmeddelelser fra { $org }. Afmeld og slet dine oplysninger: { $unsubscribe }
notice-sms = { $org }: { $title } – { $phase }. { $url } Afmeld: { $unsubscribe }

# An announcement sent out by SMS and email; the link shows all of it.
announcement-subject = Besked fra { $org }
announcement-confirm-link = Bekræft at du har læst det: svar OK eller åbn { $link }
