# The demo organisation (`serve --demo`): its name, its people's titles, groups,
# positions and first messages. People's names are the same in every language.

demo-org-name = Lillby kommun
demo-title-1 = Kommundirektör
demo-title-2 = Säkerhetschef
demo-title-3 = Kommunikationschef
demo-title-4 = IT-chef
demo-title-5 = Socialchef
demo-title-6 = Räddningschef
demo-title-7 = HR-chef
demo-title-8 = Ekonomichef
demo-title-9 = Beredskapssamordnare
demo-title-10 = Drifttekniker
demo-title-11 = Systemförvaltare
demo-title-12 = Nätverkstekniker
demo-title-13 = Kommunikatör
demo-title-14 = Kommunikatör
demo-title-15 = Enhetschef hemtjänst
demo-title-16 = Enhetschef särskilt boende
demo-title-17 = Skolchef
demo-title-18 = Teknisk chef
demo-title-19 = Miljöchef
demo-title-20 = Fastighetschef
demo-title-21 = Kommunsekreterare
demo-title-22 = IT-säkerhetsspecialist
demo-title-23 = Servicedesk
demo-title-24 = Servicedesk
demo-title-25 = Biståndshandläggare
demo-title-26 = VA-chef
demo-title-27 = Kommunjurist
demo-title-28 = Säkerhetssamordnare
demo-title-29 = Förskolechef
demo-title-30 = Kommunstyrelsens ordförande
demo-group-krisledning = Krisledningsgrupp
demo-group-it-beredskap = IT-beredskap
demo-group-kommunikation = Kommunikation
demo-group-vard-och-omsorg = Vård och omsorg
demo-group-stab = Krisledningsstab
demo-position-tib = Tjänsteperson i beredskap (TiB)
demo-position-stabschef = Stabschef
demo-position-it-jour = IT-beredskap
demo-position-kommunikator-i-beredskap = Kommunikatör i beredskap
demo-position-krisledningschef = Ordförande krisledningsnämnden
demo-channel-everyone = Alla i { $org }
demo-message-1 = E-posten och växeln ligger nere sedan 07.40. Vi håller kontakten här tills vidare.
demo-message-2 = Socialtjänsten når inte journalsystemet. Vi kör pappersrutinen enligt planen.
demo-message-3 = IT felsöker med leverantören. Nästa lägesbild kl. 10.00.
# The demo's external contacts, as the CSV `beredskap import contacts` reads. Numbers
# from 070-174 06 90 on are from the Swedish regulator's range for fiction.
demo-contacts-csv =
    name,organisation,phone,email,call_for,category
    SOS Alarm,,112,,fara för liv eller egendom,Larm och myndigheter
    Krisinformation,,113 13,,information till allmänheten om allvarliga händelser,Larm och myndigheter
    Polisen,,114 14,,brott som inte är akuta,Larm och myndigheter
    Driftstörning fiber,Stadsnät Lillby,+46 70 174 06 90,drift@stadsnat.example,fiber- och nätavbrott,Leverantörer
    Larmcentral trygghetslarm,Trygga Hem AB,+46 70 174 06 91,larm@tryggahem.example,trygghetslarmen i hemtjänsten,Leverantörer
    Jour el,Lillby Energi,+46 70 174 06 92,,strömavbrott,Leverantörer
    Tjänsteperson i beredskap,Länsstyrelsen,+46 70 174 06 93,tib@lansstyrelsen.example,samordning i länet,Samverkan

# The services on the overview: name | owner | alternative, one a line.
demo-services =
    Telefoni | IT-avdelningen, servicedesk | Tjänstemobiler; nummerlista i kontaktlistan
    Växeln | Kontaktcenter | Hänvisning via kommunens webbplats och sociala medier
    E-post | IT-avdelningen, servicedesk | Beredskap för intern kommunikation; telefon externt
    E-tjänster | Digitaliseringsenheten | Pappersblanketter i receptionen
    Trygghetslarm | Hemtjänsten, larmgruppen | Extra hembesök hos larmkunder; larmcentralens reservnummer
    Ärendesystem | Kanslienheten | Anteckna för hand, registrera i efterhand
    Verksamhetssystem vård och omsorg | Socialförvaltningen | Utskrivna genomförandeplaner i pärm på varje enhet

# The demo's priority list: made-up citizens, numbers from the range kept for fiction.
demo-priority-csv =
    name,address,phone,need,contact_person
    Astrid Holm,Storgatan 12 lgh 1101,+46 70 174 06 94,Trygghetslarm; hemtjänst fyra gånger om dygnet,Lars Holm (son) +46 70 174 06 95
    Gösta Ek,Byvägen 3,,Syrgas i hemmet; hör dåligt,Maria Ek (dotter) +46 70 174 06 96
    Britt Sundin,Skolgatan 7 lgh 1203,+46 70 174 06 97,Trygghetslarm; insulin,
    Nils Berg,Åvägen 21,+46 70 174 06 98,Hemdialys,Anna Berg (maka) +46 70 174 06 99

# The demo's status page: the ways to reach the municipality.
demo-status-phone = +46 70 174 06 89
demo-status-address = Stadshuset, Storgatan 1, Lillby
demo-status-hours = Vardagar 8–16
demo-status-note = Vid störningar i telefonin: ring reservnumret eller kom till receptionen i stadshuset. Akut hjälp: 112.
demo-notice-title = Byte av telefonväxel
demo-notice-body =
    Vi byter telefonväxel. Under arbetet kan du inte ringa kommunens växel. Ring reservnumret eller besök receptionen i stadshuset.
    Trygghetslarmen påverkas inte.

demo-template-name = IT-avbrott: samla krisledningsgruppen
demo-template-message = IT-avbrott i hela kommunen. Krisledningsgruppen samlas i stabsrummet i stadshuset så snart som möjligt. Kan du komma?
demo-template-options = Ja, Nej
