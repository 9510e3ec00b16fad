# The demo organisation (`serve --demo`): its name, its people's titles, groups,
# positions and first messages. People's names are the same in every language.

demo-org-name = Lillby kommune
demo-title-1 = Kommunedirektør
demo-title-2 = Sikkerhetssjef
demo-title-3 = Kommunikasjonssjef
demo-title-4 = IT-sjef
demo-title-5 = Sosialsjef
demo-title-6 = Brannsjef
demo-title-7 = HR-sjef
demo-title-8 = Økonomisjef
demo-title-9 = Beredskapskoordinator
demo-title-10 = Driftstekniker
demo-title-11 = Systemforvalter
demo-title-12 = Nettverkstekniker
demo-title-13 = Kommunikasjonsrådgiver
demo-title-14 = Kommunikasjonsrådgiver
demo-title-15 = Enhetsleder hjemmetjenesten
demo-title-16 = Enhetsleder sykehjem
demo-title-17 = Skolesjef
demo-title-18 = Teknisk sjef
demo-title-19 = Miljøsjef
demo-title-20 = Eiendomssjef
demo-title-21 = Kommunesekretær
demo-title-22 = IT-sikkerhetsspesialist
demo-title-23 = Brukerstøtte
demo-title-24 = Brukerstøtte
demo-title-25 = Saksbehandler helse og omsorg
demo-title-26 = VA-sjef
demo-title-27 = Kommuneadvokat
demo-title-28 = Sikkerhetskoordinator
demo-title-29 = Barnehagesjef
demo-title-30 = Ordfører
demo-group-krisledning = Kriseledelse
demo-group-it-beredskap = IT-beredskap
demo-group-kommunikation = Kommunikasjon
demo-group-vard-och-omsorg = Helse og omsorg
demo-group-stab = Kriseledelsens stab
demo-position-tib = Beredskapsvakt
demo-position-stabschef = Stabssjef
demo-position-it-jour = IT-beredskap
demo-position-kommunikator-i-beredskap = Kommunikasjonsrådgiver i beredskap
demo-position-krisledningschef = Leder av kriseledelsen
demo-channel-everyone = Alle i { $org }
demo-message-1 = E-post og sentralbord har vært nede siden 07.40. Vi holder kontakten her inntil videre.
demo-message-2 = Sosialtjenesten når ikke journalsystemet. Vi bruker papirrutinen etter planen.
demo-message-3 = IT feilsøker med leverandøren. Neste situasjonsbilde kl. 10.00.
# The demo's external contacts, as the CSV `beredskap import contacts` reads. Numbers
# from 070-174 06 90 on are from the Swedish regulator's range for fiction.
demo-contacts-csv =
    name,organisation,phone,email,call_for,category
    Nødnummer brann,,110,,brann og redning,Nød og myndigheter
    Nødnummer politi,,112,,fare for liv eller eiendom,Nød og myndigheter
    Nødnummer ambulanse,,113,,akutt sykdom og skade,Nød og myndigheter
    Driftsforstyrrelse fiber,Lillby Bynett,+46 70 174 06 90,drift@bynett.example,fiber- og nettbrudd,Leverandører
    Trygghetsalarm,Trygge Hjem AS,+46 70 174 06 91,alarm@tryggehjem.example,trygghetsalarmene i hjemmetjenesten,Leverandører
    Vakt strøm,Lillby Energi,+46 70 174 06 92,,strømbrudd,Leverandører
    Beredskapsvakt,Statsforvalteren,+46 70 174 06 93,vakt@statsforvalteren.example,samordning i fylket,Samarbeid

# The services on the overview: name | owner | alternative, one a line.
demo-services =
    Telefoni | IT-avdelingen, servicedesk | Tjenestemobiler; nummerliste i kontaktlisten
    Sentralbordet | Servicetorget | Henvisning via kommunens nettside og sosiale medier
    E-post | IT-avdelingen, servicedesk | Beredskap for intern kommunikasjon; telefon eksternt
    Digitale tjenester | Digitaliseringsenheten | Papirskjemaer i servicetorget
    Trygghetsalarm | Hjemmetjenesten, alarmgruppen | Ekstra hjemmebesøk hos alarmbrukere; alarmsentralens reservenummer
    Saksbehandlingssystem | Dokumentsenteret | Noter for hånd, registrer i etterkant
    Fagsystem helse og omsorg | Helse- og omsorgsetaten | Utskrevne tiltaksplaner i perm på hver enhet

# The demo's priority list: made-up citizens, numbers from the range kept for fiction.
demo-priority-csv =
    name,address,phone,need,contact_person
    Astrid Holm,Storgata 12 leil. H0101,+46 70 174 06 94,Trygghetsalarm; hjemmetjeneste fire ganger i døgnet,Lars Holm (sønn) +46 70 174 06 95
    Gunnar Eik,Bygdeveien 3,,Oksygen i hjemmet; hører dårlig,Marie Eik (datter) +46 70 174 06 96
    Brit Sund,Skolegata 7 leil. H0203,+46 70 174 06 97,Trygghetsalarm; insulin,
    Nils Berg,Åveien 21,+46 70 174 06 98,Hjemmedialyse,Anne Berg (kone) +46 70 174 06 99

# The demo's status page: the ways to reach the municipality.
demo-status-phone = +46 70 174 06 89
demo-status-address = Rådhuset, Storgata 1, Lillby
demo-status-hours = Hverdager 8–16
demo-status-note = Ved forstyrrelser i telefonien: ring reservenummeret eller kom til resepsjonen på rådhuset. Akutt hjelp: 113.
demo-notice-title = Bytte av sentralbord
demo-notice-body =
    Vi bytter sentralbord. Mens arbeidet pågår, kan du ikke ringe kommunens sentralbord. Ring reservenummeret eller besøk servicetorget på rådhuset.
    Trygghetsalarmene påvirkes ikke.

demo-template-name = IT-bortfall: samle kriseledelsen
demo-template-message = IT-bortfall i hele kommunen. Kriseledelsen samles i stabsrommet på rådhuset så snart som mulig. Kan du komme?
demo-template-options = Ja, Nei
